{#
  The daily KPI models, and the monthly ones built on them, are incremental by
  business date: a run replaces the dates [min_date - lookback_days, max_date]
  (the months that overlap them, for monthly models). Dagster passes min_date
  and max_date, the partition range of the run, as ECOMOPS_MIN_DATE and
  ECOMOPS_MAX_DATE (run_window_bound.sql); by hand, `--vars '{min_date: ..., max_date: ...}'`.
  A plain `dbt build` without them starts at the latest date already built, with no end.
  The window reaches further back when a file loaded since the model's last build
  holds earlier days (rebuild_window_start.sql). `dbt build --full-refresh` (or a
  backfill of every partition) rebuilds all.

  This macro is the filter: the rebuild window on incremental runs, every row otherwise.
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
