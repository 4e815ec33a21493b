{# First capture group of a regular expression, or null: spelt differently in DuckDB, Postgres and ClickHouse, so dispatched. #}
{% macro regexp_capture(expression, pattern) -%}
    {{ return(adapter.dispatch('regexp_capture', 'ecomops')(expression, pattern)) }}
{%- endmacro %}

{% macro default__regexp_capture(expression, pattern) -%}
    substring({{ expression }} from '{{ pattern }}')
{%- endmacro %}

{% macro duckdb__regexp_capture(expression, pattern) -%}
    nullif(regexp_extract({{ expression }}, '{{ pattern }}', 1), '')
{%- endmacro %}

{# ClickHouse: RE2, like DuckDB; an unmatched pattern gives '' there too. #}
{% macro clickhouse__regexp_capture(expression, pattern) -%}
    nullIf(regexpExtract({{ expression }}, '{{ pattern }}', 1), '')
{%- endmacro %}
