{# `with name as {{ not_materialized() }} (...)`: read the CTE where it is used, every time. DuckDB and Postgres
   materialize a CTE read more than once, and one over millions of staging rows then spills: at 50 shops x 365
   days, int_orders' narrow keys of 7.5M orders wrote 3.6 GB to disk, 12.9 s for one day's 71k orders; inlined,
   each reader's filter reaches the scan, 3.0 s. Mark the CTEs that each reader filters or that are cheap to scan
   again. ClickHouse inlines every CTE: nothing to say. #}
{% macro not_materialized() -%}
    {{ return(adapter.dispatch('not_materialized', 'ecomops')()) }}
{%- endmacro %}

{% macro default__not_materialized() -%}
    not materialized
{%- endmacro %}

{% macro clickhouse__not_materialized() -%}
{%- endmacro %}
