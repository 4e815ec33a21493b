{# Joins to each row one row per calendar day between two of its dates (start and end included, none when
   either is null), as series.day_start: the whole join clause, since engines spell it differently.
   Dispatched: DuckDB and Postgres share a lateral generate_series; ClickHouse has no lateral join and
   unrolls an array (ARRAY JOIN) of named tuples instead. #}
{% macro join_days_between(start_date, end_date) -%}
    {{ return(adapter.dispatch('join_days_between', 'ecomops')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__join_days_between(start_date, end_date) -%}
    cross join generate_series(cast({{ start_date }} as timestamp), cast({{ end_date }} as timestamp), interval '1 day') as series(day_start)
{%- endmacro %}

{% macro clickhouse__join_days_between(start_date, end_date) -%}
    array join arrayMap(
        day_offset -> cast(tuple(addDays(toDate({{ start_date }}), day_offset)), 'Tuple(day_start Date)'),
        range(toUInt32(greatest(ifNull(dateDiff('day', toDate({{ start_date }}), toDate({{ end_date }})) + 1, 0), 0)))
    ) as series
{%- endmacro %}
