{#- The platform bill, one row per money movement, with the entry classified (seed settlement_entry_types). Incremental: entries of new loads. -#}
{{ config(materialized='incremental', unique_key=['shop_code', 'entry_id']) }}

with entries as (
    {{ union_platforms('settlement') }}
),

entry_types as (
    select * from {{ ref('settlement_entry_types') }}
)

select
    entries.platform,
    entries.shop_code,
    entries.entry_id,
    entries.booked_at,
    entries.booked_date,
    entries.order_id,
    case when entries.order_id is not null then entries.platform || ':' || entries.order_id end as order_key,
    entries.entry_type,
    coalesce(entry_types.entry_group, 'unclassified') as entry_group,
    coalesce(entry_types.is_platform_fee, false) as is_platform_fee,
    coalesce(entries.income, 0) as income,
    coalesce(entries.expense, 0) as expense,
    case when entry_types.is_platform_fee then coalesce(entries.expense, 0) else 0 end as platform_fee,
    entries._last_load_id,
    current_timestamp as _built_at
from entries
left join entry_types on entry_types.entry_type = entries.entry_type
{%- if is_incremental() %}
where {{ loaded_after_last_build('entries._last_load_id') }}
{%- endif %}
