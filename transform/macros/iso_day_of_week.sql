{# ISO day of the week of a date, Monday 1 to Sunday 7.
   Dispatched: DuckDB and Postgres extract isodow; ClickHouse's EXTRACT has no such part. #}
{% macro iso_day_of_week(date_expression) -%}
    {{ return(adapter.dispatch('iso_day_of_week', 'ecomops')(date_expression)) }}
{%- endmacro %}

{% macro default__iso_day_of_week(date_expression) -%}
    cast(extract(isodow from {{ date_expression }}) as integer)
{%- endmacro %}

{% macro clickhouse__iso_day_of_week(date_expression) -%}
    toInt32(toDayOfWeek({{ date_expression }}))
{%- endmacro %}
