{#
  Raw keeps every exported version of a record. The latest one wins: by the
  record's own state ordering when it has one (status progression, event times),
  then by the export file's modification time, then file name and row.
  _last_load_id is the newest dlt load among the key's versions (versions_to_rank).
#}
{% macro latest_version(relation, key_columns, state_order=none) -%}
select *
from (
    select
        versions.*,
        row_number() over (
            partition by {{ key_columns | join(', ') }}
            order by {% if state_order %}{{ state_order }}, {% endif %}_file_mtime desc, _source_file desc, _source_row desc
        ) as version_rank,
        max(_dlt_load_id) over (partition by {{ key_columns | join(', ') }}) as _last_load_id
    from {{ relation }} as versions
) as ranked
where version_rank = 1
{%- endmacro %}

{# How far an order has progressed: a later export of the same order time-ties only with a further state. #}
{% macro order_status_rank(status) -%}
    case {{ status }}
        when 'pending_payment' then 1
        when 'paid' then 2
        when 'shipped' then 3
        when 'completed' then 4
        when 'cancelled' then 5
        when 'closed_after_payment' then 5
        else 0
    end
{%- endmacro %}

{% macro refund_status_rank(status) -%}
    case {{ status }}
        when 'requested' then 1
        when 'returning' then 2
        when 'succeeded' then 3
        when 'closed' then 3
        else 0
    end
{%- endmacro %}

{#
  Staging is views, except the orders, order lines and refunds: ranking every
  export version is the hot path, and each intermediate model and data test
  reading a view would rank them all again. So those are incremental tables,
  and a run re-ranks only the keys loaded since the last one (versions_to_rank).
  What changes their rows without a new load needs `dbt build --full-refresh`:
  the status vocabulary seeds, a shop's timezone, ECOMOPS_BUYER_SALT.
#}
{% macro latest_version_table(unique_key) -%}
    {{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=unique_key, on_schema_change='fail') }}
{%- endmacro %}

{#
  The raw rows to rank: on an incremental run, every version of the keys with a
  row loaded after the newest load already built. All their versions, so the
  latest one is chosen as in a full build; filtered before the ranking window.
#}
{% macro versions_to_rank(relation, key_column) -%}
select * from {{ relation }}
{%- if is_incremental() %}
where {{ key_column }} in (
    select {{ key_column }}
    from {{ relation }}
    where _dlt_load_id > (select coalesce(max(_last_load_id), '') from {{ this }})
)
{%- endif %}
{%- endmacro %}
