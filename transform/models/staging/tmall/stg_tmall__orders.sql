{#-
  Tmall (千牛 exports, same format as Taobao) orders: one row per order in its latest exported state (the order's own
  progress first, then the export file's time), order-level fields only.
-#}
{{ config(materialized='incremental', unique_key='order_key') }}

with export_rows as (
    {#- an incremental run re-ranks all versions of every order_id with a row loaded since the model's last build #}
    select * from {{ source('raw', 'tmall_orders') }}
    {%- if is_incremental() %}
    where order_id in (
        select order_id from {{ source('raw', 'tmall_orders') }} where {{ loaded_after_last_build('_dlt_load_id') }}
    )
    {%- endif %}
),

order_vocabulary as (
    select vocabulary.raw_status, vocabulary.when_paid, vocabulary.canonical_status, statuses.progress_rank
    from {{ ref('order_status_vocabulary') }} as vocabulary
    left join {{ ref('order_statuses') }} as statuses on statuses.order_status = vocabulary.canonical_status
    where vocabulary.platform = 'tmall'
),

refund_vocabulary as (
    select raw_status, canonical_status
    from {{ ref('refund_status_vocabulary') }}
    where platform = 'tmall'
),

order_versions as (
    select
        export_rows.*,
        case
            when export_rows.refund_status is not null then coalesce(refund_vocabulary.canonical_status, 'unknown')
        end as line_refund_state,
        coalesce(order_vocabulary.canonical_status, 'unknown') as order_status,
        coalesce(order_vocabulary.progress_rank, 0) as status_progress
    from export_rows
    left join refund_vocabulary on refund_vocabulary.raw_status = export_rows.refund_status
    {#- a closing status means cancelled, or closed after payment when the export has a payment time #}
    left join order_vocabulary
        on order_vocabulary.raw_status = export_rows.status
        and order_vocabulary.when_paid in ('any', case when export_rows.paid_at is not null then 'yes' else 'no' end)
),

latest as (
    {{ latest_version('order_versions', ['order_id'], 'coalesce(completed_at, shipped_at, paid_at, created_at) desc nulls last, status_progress desc') }}
),

shops as (
    select shop_code, timezone from {{ ref('stg_landing__shops') }}
)

select
    latest.platform || ':' || latest.order_id as order_key,
    latest.platform,
    latest.shop_code,
    latest.order_id,
    latest.status as raw_status,
    latest.order_status,
    latest.created_at,
    latest.paid_at as paid_at,
    latest.shipped_at,
    latest.completed_at,
    {{ local_date('latest.created_at', 'shops.timezone') }} as created_date,
    {{ local_date('latest.paid_at', 'shops.timezone') }} as paid_date,
    latest.order_paid_amount,
    latest.shipping_fee,
    latest.discount_amount,
    latest.merchant_received,
    {{ buyer_key('tmall', 'latest.buyer_id', 'latest.receiver_phone') }} as buyer_key,
    coalesce(latest.receiver_province, {{ address_region('latest.receiver_address', 'province') }}) as receiver_province,
    coalesce(latest.receiver_city, {{ address_region('latest.receiver_address', 'city') }}) as receiver_city,
    latest.traffic_source,
    latest.creator,
    latest._source_file,
    latest._file_mtime,
    latest._last_load_id
from latest
left join shops on shops.shop_code = latest.shop_code
