{#-
  One row per order (latest state) on every platform; gmv counts on the created
  date, payment on the paid date. Incremental: the orders rebuilt upstream and
  those with refunds rebuilt since the last run.
-#}
{{ config(materialized='incremental', unique_key='order_key', meta={'data_tests_read': 'latest_build'}) }}

with orders as (
    select * from {{ ref('int_orders') }}
    {%- if is_incremental() %}
    {#- one key set, not an `or`: a semi join on it filters the scan of int_orders #}
    where order_key in (
        select order_key from {{ ref('int_orders') }} where {{ loaded_after_last_build() }}
        union distinct
        select order_key from {{ ref('int_refunds') }} where {{ loaded_after_last_build() }}
    )
    {%- endif %}
),

refunds as (
    select
        order_key,
        sum(case when is_succeeded then refund_amount else 0 end) as refunded_amount,
        max(_last_load_id) as refunds_load_id
    from {{ ref('int_refunds') }}
    {%- if is_incremental() %}
    where order_key in (select order_key from orders)
    {%- endif %}
    group by order_key
)

select
    orders.order_key,
    orders.platform,
    orders.shop_code,
    orders.order_id,
    orders.raw_status,
    orders.order_status,
    orders.created_at,
    orders.paid_at,
    orders.shipped_at,
    orders.completed_at,
    orders.created_date,
    orders.paid_date,
    orders.is_paid,
    orders.order_paid_amount as gmv_amount,
    case when orders.is_paid then orders.order_paid_amount end as paid_amount,
    orders.shipping_fee,
    orders.discount_amount,
    orders.merchant_received,
    orders.line_count,
    orders.units,
    coalesce(refunds.refunded_amount, 0) as refunded_amount,
    orders.is_paid and (
        orders.order_status = 'closed_after_payment'
        or coalesce(refunds.refunded_amount, 0) >= orders.order_paid_amount
    ) as is_fully_refunded,
    orders.buyer_key,
    case when orders.buyer_key is not null then orders.shop_code || ':' || orders.buyer_key end as customer_key,
    orders.buyer_paid_order_number,
    coalesce(orders.buyer_paid_order_number = 1, false) as is_first_paid_order,
    orders.receiver_province,
    orders.receiver_city,
    orders.traffic_source,
    orders.creator,
    greatest(orders._last_load_id, coalesce(refunds.refunds_load_id, '')) as _last_load_id,
    current_timestamp as _built_at
from orders
left join refunds on refunds.order_key = orders.order_key
