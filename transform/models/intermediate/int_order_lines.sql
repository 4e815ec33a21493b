{#-
  Order lines of every platform with their order's state, the order amount
  allocated over the lines (order-level amounts are repeated on each line of an
  export, so they are never summed over lines), and the cost price in force on
  the paid date.
-#}
with lines as (
    {{ union_platforms('order_lines') }}
),

orders as (
    select * from {{ ref('int_orders') }}
),

cost_prices as (
    select * from {{ ref('int_cogs_price_periods') }}
),

weighted as (
    select
        lines.*,
        coalesce(lines.line_paid_amount, lines.unit_price * lines.quantity, 0) as allocation_weight
    from lines
),

shares as (
    select
        weighted.*,
        case
            when sum(allocation_weight) over (partition by order_key) > 0
                then allocation_weight / sum(allocation_weight) over (partition by order_key)
            else 1.0 / count(*) over (partition by order_key)
        end as order_share
    from weighted
)

select
    shares.line_key,
    shares.order_key,
    shares.platform,
    shares.shop_code,
    shares.order_id,
    shares.line_id,
    shares.platform_item_id,
    shares.sku_code,
    shares.item_title,
    shares.sku_spec,
    shares.quantity,
    shares.unit_price,
    shares.line_paid_amount,
    shares.order_share,
    orders.order_paid_amount * shares.order_share as allocated_order_amount,
    shares.raw_refund_status,
    shares.refund_status,
    orders.order_status,
    orders.is_paid,
    orders.created_date,
    orders.paid_date,
    orders.buyer_key,
    cost_prices.cost_price as unit_cost
from shares
left join orders on orders.order_key = shares.order_key
left join cost_prices
    on cost_prices.sku_code = shares.sku_code
    and orders.paid_date >= cost_prices.valid_from
    and (orders.paid_date < cost_prices.valid_to or cost_prices.valid_to is null)
