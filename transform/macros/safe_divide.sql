{# A ratio is null, not 0 and not an error, when its denominator is 0 or null.
   Dispatched: DuckDB and Postgres divide doubles alike; another adapter adds its own. #}
{% macro safe_divide(numerator, denominator) -%}
    {{ return(adapter.dispatch('safe_divide', 'ecomops')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__safe_divide(numerator, denominator) -%}
    (cast({{ numerator }} as double precision) / nullif(cast({{ denominator }} as double precision), 0))
{%- endmacro %}
