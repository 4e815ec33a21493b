{#-
  Pinduoduo (拼多多商家后台) orders: one row per order in its latest exported state (the order's own
  progress first, then the export file's time), order-level fields only.
  PDD exports no payment time (seed order_exports): 订单成交时间 is the payment time of every order
  in a paid status (seed order_statuses.implies_payment); an 已取消 order with 售后状态 退款成功 was paid, then closed.
-#}
{{ config(materialized='incremental', unique_key='order_key') }}

with latest as (
    {{ latest_order_versions('pdd', 'order_id') }}
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
    latest.payment_time as paid_at,
    latest.shipped_at,
    latest.completed_at,
    {{ local_date('latest.created_at', 'shops.timezone') }} as created_date,
    {{ local_date('latest.payment_time', 'shops.timezone') }} as paid_date,
    latest.order_paid_amount,
    latest.shipping_fee,
    latest.discount_amount,
    latest.merchant_received,
    {{ buyer_key('pdd', 'latest.buyer_id', 'latest.receiver_phone') }} as buyer_key,
    coalesce(latest.receiver_province, {{ address_region('latest.receiver_address', 'province') }}) as receiver_province,
    coalesce(latest.receiver_city, {{ address_region('latest.receiver_address', 'city') }}) as receiver_city,
    latest.traffic_source,
    latest.creator,
    latest._source_file,
    latest._file_mtime,
    latest._last_load_id
from latest
left join shops on shops.shop_code = latest.shop_code
