{# A ratio is null, not 0 and not an error, when its denominator is 0 or null.
   Dispatched: DuckDB and Postgres divide doubles alike; ClickHouse has its own. #}
{% macro safe_divide(numerator, denominator) -%}
    {{ return(adapter.dispatch('safe_divide', 'ecomops')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__safe_divide(numerator, denominator) -%}
    (cast({{ numerator }} as double precision) / nullif(cast({{ denominator }} as double precision), 0))
{%- endmacro %}

{# ClickHouse: a cast of a null to Float64 fails (non-nullable type) where toFloat64 keeps the null; a
   division by 0 would give inf, not null, so the nullIf is what makes it null. #}
{% macro clickhouse__safe_divide(numerator, denominator) -%}
    (toFloat64({{ numerator }}) / nullIf(toFloat64({{ denominator }}), 0))
{%- endmacro %}
