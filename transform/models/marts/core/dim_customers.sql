{#-
  One row per buyer of a shop (customer_key = shop and salted buyer hash; a
  platform's buyer ids do not join across platforms). No plain personal data:
  province and city of the latest order only. ltv = cumulative net paid amount.
  Incremental: a run rebuilds the customers with an order rebuilt upstream.
-#}
{{ config(materialized='incremental', unique_key='customer_key', meta={'data_tests_read': 'latest_build'}) }}

with orders as (
    select * from {{ ref('fct_orders') }}
    where customer_key is not null
    {%- if is_incremental() %}
        and customer_key in (select customer_key from {{ ref('fct_orders') }} where {{ loaded_after_last_build() }})
    {%- endif %}
),

latest_order as (
    select customer_key, receiver_province, receiver_city
    from (
        select
            customer_key,
            receiver_province,
            receiver_city,
            row_number() over (partition by customer_key order by created_at desc, order_key desc) as recency_rank
        from orders
    ) as ranked
    where recency_rank = 1
)

select
    orders.customer_key as customer_key,
    orders.platform as platform,
    orders.shop_code as shop_code,
    orders.buyer_key as buyer_key,
    min(orders.created_date) as first_order_date,
    min(orders.paid_date) as first_paid_date,
    max(orders.paid_date) as last_paid_date,
    count(orders.paid_at) as paid_orders,
    coalesce(sum(orders.paid_amount), 0) as paid_amount,
    sum(case when orders.is_paid then orders.refunded_amount else 0 end) as refunded_amount,
    coalesce(sum(orders.paid_amount), 0) - sum(case when orders.is_paid then orders.refunded_amount else 0 end) as ltv,
    latest_order.receiver_province as receiver_province,
    latest_order.receiver_city as receiver_city,
    max(orders._last_load_id) as _last_load_id,
    current_timestamp as _built_at
from orders
left join latest_order on latest_order.customer_key = orders.customer_key
group by
    orders.customer_key, orders.platform, orders.shop_code, orders.buyer_key,
    latest_order.receiver_province, latest_order.receiver_city
