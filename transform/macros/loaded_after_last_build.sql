{#
  Staging is views, except the orders, order lines, refunds and the bill: ranking
  every export version is the hot path, and each intermediate model and data test
  reading a view would rank them all again. So those are incremental tables
  (delete+insert on their unique key, dbt_project.yml), and a run re-ranks only the
  keys with a raw row loaded since the last one, over all their versions. The facts
  built on them are incremental the same way, and the daily KPI models by business
  date (in_rebuild_window.sql). What changes rows without a new load needs
  `dbt build --full-refresh`: the status vocabulary and entry type seeds, a shop's
  timezone, ECOMOPS_BUYER_SALT.

  This macro is the filter: the rows of an upstream model that reflect a dlt load
  newer than any this model has built (`_last_load_id` is the newest load behind a
  row; raw rows carry `_dlt_load_id`). Each model keeps its own mark, so a run that
  failed half way is caught up by the next. Build a model with its upstreams (every
  orchestrated run does): a parent built later from an older load would be missed
  until a full refresh.
#}
{% macro loaded_after_last_build(load_id_column='_last_load_id') -%}
    {{ load_id_column }} > (select coalesce(max(_last_load_id), '') from {{ this }})
{%- endmacro %}
