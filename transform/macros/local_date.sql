{# Exports carry shop-local wall time, stored as an instant; business dates are the shop's
   local dates (var default_timezone for a shop the registry does not know). #}
{% macro local_date(instant, timezone='timezone') -%}
    cast(({{ instant }}) at time zone coalesce({{ timezone }}, '{{ var("default_timezone") }}') as date)
{%- endmacro %}
