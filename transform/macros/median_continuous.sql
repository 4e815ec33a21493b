{# Median by linear interpolation between the two middle values (an aggregate).
   Dispatched: DuckDB and Postgres spell it percentile_cont ... within group; ClickHouse has no
   ordered-set aggregates and its median() is approximate, quantileExactInclusive is the exact one. #}
{% macro median_continuous(expression) -%}
    {{ return(adapter.dispatch('median_continuous', 'ecomops')(expression)) }}
{%- endmacro %}

{% macro default__median_continuous(expression) -%}
    percentile_cont(0.5) within group (order by {{ expression }})
{%- endmacro %}

{% macro clickhouse__median_continuous(expression) -%}
    quantileExactInclusive(0.5)({{ expression }})
{%- endmacro %}
