{#- Every platform's orders, one row each, with their line totals and the buyer's paid-order sequence in the shop. -#}
with orders as (
    {{ union_platforms('orders') }}
),

lines as (
    {{ union_platforms('order_lines') }}
),

line_totals as (
    select
        order_key,
        count(*) as line_count,
        sum(quantity) as units
    from lines
    group by order_key
),

paid_sequence as (
    select
        order_key,
        row_number() over (
            partition by shop_code, buyer_key
            order by paid_at, order_key
        ) as buyer_paid_order_number
    from orders
    where paid_at is not null and buyer_key is not null
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
    orders.paid_at is not null as is_paid,
    orders.order_paid_amount,
    orders.shipping_fee,
    orders.discount_amount,
    orders.merchant_received,
    coalesce(line_totals.line_count, 0) as line_count,
    coalesce(line_totals.units, 0) as units,
    orders.buyer_key,
    paid_sequence.buyer_paid_order_number,
    orders.receiver_province,
    orders.receiver_city,
    orders.traffic_source,
    orders.creator
from orders
left join line_totals on line_totals.order_key = orders.order_key
left join paid_sequence on paid_sequence.order_key = orders.order_key
