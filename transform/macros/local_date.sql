{# Exports carry shop-local wall time, stored as an instant; business dates are the shop's
   local dates (var default_timezone for a shop the registry does not know).
   Dispatched: DuckDB and Postgres share the SQL-standard spelling; ClickHouse has its own. #}
{% macro local_date(instant, timezone='timezone') -%}
    {{ return(adapter.dispatch('local_date', 'ecomops')(instant, timezone)) }}
{%- endmacro %}

{% macro default__local_date(instant, timezone) -%}
    cast(({{ instant }}) at time zone coalesce({{ timezone }}, '{{ var("default_timezone") }}') as date)
{%- endmacro %}

{# ClickHouse takes a time zone per row only in toString (toDate/toTimeZone need a constant one):
   the instant's wall time in the shop's zone, as text, then its date. #}
{% macro clickhouse__local_date(instant, timezone) -%}
    toDate(toString({{ instant }}, coalesce({{ timezone }}, '{{ var("default_timezone") }}')))
{%- endmacro %}
