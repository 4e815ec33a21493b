{# Functions spelt differently in DuckDB and Postgres (dispatched), and the date series both spell alike. #}

{% macro sha256_hex(expression) -%}
    {{ return(adapter.dispatch('sha256_hex', 'ecomops')(expression)) }}
{%- endmacro %}
{% macro default__sha256_hex(expression) -%}
    encode(sha256(convert_to({{ expression }}, 'UTF8')), 'hex')
{%- endmacro %}
{% macro duckdb__sha256_hex(expression) -%}
    sha256({{ expression }})
{%- endmacro %}

{# First capture group of a regular expression, or null. #}
{% macro regexp_capture(expression, pattern) -%}
    {{ return(adapter.dispatch('regexp_capture', 'ecomops')(expression, pattern)) }}
{%- endmacro %}
{% macro default__regexp_capture(expression, pattern) -%}
    substring({{ expression }} from '{{ pattern }}')
{%- endmacro %}
{% macro duckdb__regexp_capture(expression, pattern) -%}
    nullif(regexp_extract({{ expression }}, '{{ pattern }}', 1), '')
{%- endmacro %}

{# One row per calendar day between two dates of the row it is joined to (lateral), as series.day_start. #}
{% macro days_between(start_date, end_date) -%}
    generate_series(cast({{ start_date }} as timestamp), cast({{ end_date }} as timestamp), interval '1 day') as series(day_start)
{%- endmacro %}
