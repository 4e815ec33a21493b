{# One row per calendar day between two dates of the row it is joined to (lateral), as series.day_start.
   Dispatched: DuckDB and Postgres share generate_series; another adapter adds its own. #}
{% macro days_between(start_date, end_date) -%}
    {{ return(adapter.dispatch('days_between', 'ecomops')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__days_between(start_date, end_date) -%}
    generate_series(cast({{ start_date }} as timestamp), cast({{ end_date }} as timestamp), interval '1 day') as series(day_start)
{%- endmacro %}
