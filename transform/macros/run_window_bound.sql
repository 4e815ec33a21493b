{#
  min_date or max_date of the run's business dates: a --vars value, else ECOMOPS_MIN_DATE /
  ECOMOPS_MAX_DATE, which Dagster sets (a new --vars value would make dbt parse the whole
  project again), else none.
#}
{% macro run_window_bound(name) -%}
    {{ return(var(name, none) or env_var('ECOMOPS_' ~ name | upper, '') or none) }}
{%- endmacro %}
