{#- Tmall (千牛 exports, same format as Taobao) refunds / after-sales cases: one row per case in its latest exported state. -#}
{{ config(materialized='incremental', unique_key='refund_key') }}

with latest as (
    {{ latest_refund_versions('tmall') }}
),

shops as (
    select shop_code, timezone from {{ ref('stg_landing__shops') }}
)

select
    latest.platform || ':' || latest.refund_id as refund_key,
    latest.platform || ':' || latest.order_id as order_key,
    latest.platform || ':' || latest.line_id as line_key,
    latest.platform,
    latest.shop_code,
    latest.refund_id,
    latest.order_id,
    latest.line_id,
    latest.refund_amount,
    latest.requested_at,
    latest.refunded_at,
    {{ local_date('latest.requested_at', 'shops.timezone') }} as requested_date,
    {{ local_date('latest.refunded_at', 'shops.timezone') }} as refunded_date,
    latest.refund_status as raw_status,
    latest.canonical_status as refund_status,
    latest.refund_type as raw_refund_type,
    latest.canonical_refund_type as refund_type,
    latest.reason,
    latest._source_file,
    latest._file_mtime,
    latest._last_load_id
from latest
left join shops on shops.shop_code = latest.shop_code
