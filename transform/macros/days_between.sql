{# One row per calendar day between two dates of the row it is joined to (lateral), as series.day_start. #}
{% macro days_between(start_date, end_date) -%}
    generate_series(cast({{ start_date }} as timestamp), cast({{ end_date }} as timestamp), interval '1 day') as series(day_start)
{%- endmacro %}
