{#-
  Pinduoduo (拼多多商家后台) order lines: one row per line in its latest exported state (ranked like its
  order), line-level fields only.
-#}
{{ config(materialized='incremental', unique_key='line_key') }}

with export_rows as (
    {#- an incremental run re-ranks all versions of every line_id with a row loaded since the model's last build #}
    select * from {{ source('raw', 'pdd_orders') }}
    {%- if is_incremental() %}
    where line_id in (
        select line_id from {{ source('raw', 'pdd_orders') }} where {{ loaded_after_last_build('_dlt_load_id') }}
    )
    {%- endif %}
),

order_vocabulary as (
    select vocabulary.raw_status, vocabulary.when_paid, vocabulary.canonical_status, statuses.progress_rank
    from {{ ref('order_status_vocabulary') }} as vocabulary
    left join {{ ref('order_statuses') }} as statuses on statuses.order_status = vocabulary.canonical_status
    where vocabulary.platform = 'pdd'
),

refund_vocabulary as (
    select raw_status, canonical_status
    from {{ ref('refund_status_vocabulary') }}
    where platform = 'pdd'
),

order_versions as (
    select
        export_rows.*,
        case
            when export_rows.refund_status is not null then coalesce(refund_vocabulary.canonical_status, 'unknown')
        end as line_refund_state,
        coalesce(order_vocabulary.canonical_status, 'unknown') as order_status,
        coalesce(order_vocabulary.progress_rank, 0) as status_progress,
        case
            when order_vocabulary.canonical_status in ('pending_payment', 'cancelled') then null
            else export_rows.created_at
        end as payment_time
    from export_rows
    left join refund_vocabulary on refund_vocabulary.raw_status = export_rows.refund_status
    {#- PDD exports no payment time: 订单成交时间 (created_at) is the payment time of every order but
        待支付 and a never-paid 已取消; an 已取消 order with 售后状态 退款成功 was paid, then closed #}
    left join order_vocabulary
        on order_vocabulary.raw_status = export_rows.status
        and order_vocabulary.when_paid in ('any', case when refund_vocabulary.canonical_status = 'succeeded' then 'yes' else 'no' end)
),

latest as (
    {{ latest_version('order_versions', ['line_id'], 'coalesce(completed_at, shipped_at, payment_time, created_at) desc nulls last, status_progress desc') }}
)

select
    platform || ':' || line_id as line_key,
    platform || ':' || order_id as order_key,
    platform,
    shop_code,
    order_id,
    line_id,
    platform_item_id,
    sku_code,
    item_title,
    sku_spec,
    quantity,
    unit_price,
    line_paid_amount,
    refund_status as raw_refund_status,
    line_refund_state as refund_status,
    refund_amount,
    _source_file,
    _file_mtime,
    _last_load_id
from latest
