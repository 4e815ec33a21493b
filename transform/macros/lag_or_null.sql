{# The previous row's value in a window (use with `over (...)`), null before the first row.
   Dispatched: ClickHouse's lag() gives the type's default (1970-01-01, 0) before the first row unless its
   argument is Nullable (lead_or_null.sql). #}
{% macro lag_or_null(expression) -%}
    {{ return(adapter.dispatch('lag_or_null', 'ecomops')(expression)) }}
{%- endmacro %}

{% macro default__lag_or_null(expression) -%}
    lag({{ expression }})
{%- endmacro %}

{% macro clickhouse__lag_or_null(expression) -%}
    lag(toNullable({{ expression }}))
{%- endmacro %}
