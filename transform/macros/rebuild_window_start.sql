{#
  First business date an incremental daily model rebuilds: lookback_days before the
  run's first date (min_date; else the model's latest built date), or before the
  earliest day held by a file loaded since the model's last build (its `_built_at`,
  raw.ingest_files.first_business_date): an old day's export landing late, a day's
  orders export re-exporting orders created weeks before, a new cost price list.
  The lookback absorbs the rest.
#}
{% macro rebuild_window_start(built_column, grain) -%}
    {%- set first_day = run_window_bound('min_date') -%}
    {%- set requested = "cast('" ~ first_day ~ "' as date)" if first_day
        else '(select max(' ~ built_column ~ ') from ' ~ this ~ ')' -%}
    {%- set late_files -%}
        (select min(first_business_date) from {{ source('raw', 'ingest_files') }}
         where status = 'loaded' and processed_at > (select max(_built_at) from {{ this }}))
    {%- endset -%}
    {%- set start = dbt.dateadd('day', -(var('lookback_days') | int), 'least(' ~ requested ~ ', coalesce(' ~ late_files ~ ', ' ~ requested ~ '))') -%}
    cast({{ dbt.date_trunc(grain, start) if grain != 'day' else start }} as date)
{%- endmacro %}
