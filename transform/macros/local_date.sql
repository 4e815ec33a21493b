{# Exports carry shop-local wall time, stored as an instant; business dates are the shop's local dates. #}
{% macro local_date(instant, timezone='timezone') -%}
    cast(({{ instant }}) at time zone coalesce({{ timezone }}, 'Asia/Shanghai') as date)
{%- endmacro %}
