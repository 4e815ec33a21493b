{#
  The daily KPI models, and the monthly ones built on them, are incremental by
  business date: a run replaces the dates [min_date - lookback_days, max_date]
  (the months that overlap them, for monthly models). Dagster passes min_date
  and max_date, the partition range of the run, as ECOMOPS_MIN_DATE and
  ECOMOPS_MAX_DATE (changing `--vars` would make dbt parse the whole project
  again); by hand, `--vars '{min_date: ..., max_date: ...}'`. A plain
  `dbt build` without them starts at the latest date already built, with no end.
  The window reaches further back when a file loaded since the model's last
  build (its `_built_at`) holds earlier days (raw.ingest_files.first_business_date):
  an old day's export landing late, a day's orders export re-exporting orders
  created weeks before, a new cost price list. The lookback absorbs the rest.
  `dbt build --full-refresh` (or a backfill of every partition) rebuilds all.
#}
{% macro run_window_bound(name) -%}
    {{ return(var(name, none) or env_var('ECOMOPS_' ~ name | upper, '') or none) }}
{%- endmacro %}

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

{#
  A filter keeping the rebuild window on incremental runs, every row otherwise.
  built_column: the model's own date column (the default window's anchor);
  grain: 'month' widens the window to whole months.
#}
{% macro in_rebuild_window(date_expression, built_column='date', grain='day') -%}
    {%- if is_incremental() -%}
        {{ date_expression }} >= {{ rebuild_window_start(built_column, grain) }}
        {%- set max_date = run_window_bound('max_date') %}
        {%- if max_date %}
        {%- set last_day = "cast('" ~ max_date ~ "' as date)" %}
        and {{ date_expression }} < cast({{ dbt.dateadd(grain, 1, dbt.date_trunc(grain, last_day) if grain != 'day' else last_day) }} as date)
        {%- endif %}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
