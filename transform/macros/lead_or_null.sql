{# The next row's value in a window (use with `over (...)`), null after the last row.
   Dispatched: ClickHouse's lead() gives the type's default (1970-01-01, 0) past the last row unless its
   argument is Nullable. #}
{% macro lead_or_null(expression) -%}
    {{ return(adapter.dispatch('lead_or_null', 'ecomops')(expression)) }}
{%- endmacro %}

{% macro default__lead_or_null(expression) -%}
    lead({{ expression }})
{%- endmacro %}

{% macro clickhouse__lead_or_null(expression) -%}
    lead(toNullable({{ expression }}))
{%- endmacro %}
