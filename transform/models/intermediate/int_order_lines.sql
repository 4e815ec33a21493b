{#-
  Order lines of every platform with their order's state, the order amount
  allocated over the lines (order-level amounts are repeated on each line of an
  export, so they are never summed over lines), and the cost price in force on
  the paid date. Incremental: a run rebuilds every line of the orders rebuilt
  upstream, and of the orders holding a SKU whose cost prices were reloaded.
-#}
{{ config(materialized='incremental', unique_key='line_key') }}

with all_lines as {{ not_materialized() }} (
    {{ union_platforms('order_lines') }}
),

orders as {{ not_materialized() }} (
    select * from {{ ref('int_orders') }}
),

cost_prices as (
    select * from {{ ref('int_cogs_price_periods') }}
),

sku_cost_loads as (
    select sku_code, max(_last_load_id) as cost_load_id
    from cost_prices
    group by sku_code
),

{#- A full build reads the lines where it uses them (materialized, 11M wide lines spilled at 50 x 365). An
    incremental run computes the day's lines once: inlined, Postgres joined every line to its order and sorted
    them all before keeping the day's (5.6 s for 14k lines at 10 x 365; 1.3 s materialized). #}
lines as {% if not is_incremental() %}{{ not_materialized() }}{% endif %} (
    select * from all_lines
    {%- if is_incremental() %}
    where order_key in (
        select order_key from orders where {{ loaded_after_last_build() }}
        union distinct
        select order_key from all_lines
        where sku_code in (select sku_code from sku_cost_loads where {{ loaded_after_last_build('cost_load_id') }})
    )
    {%- endif %}
),

{#- The allocation reads the lines' keys and amounts only: a window holds its whole input. #}
weighted as (
    select
        line_key,
        order_key,
        coalesce(line_paid_amount, unit_price * quantity, 0) as allocation_weight
    from lines
),

shares as (
    select
        line_key as share_line_key,
        case
            when sum(allocation_weight) over (partition by order_key) > 0
                then allocation_weight / sum(allocation_weight) over (partition by order_key)
            else 1.0 / count(*) over (partition by order_key)
        end as order_share
    from weighted
)

select
    lines.line_key as line_key,
    lines.order_key as order_key,
    lines.platform as platform,
    lines.shop_code as shop_code,
    lines.order_id as order_id,
    lines.line_id as line_id,
    lines.platform_item_id as platform_item_id,
    lines.sku_code as sku_code,
    lines.item_title as item_title,
    lines.sku_spec as sku_spec,
    lines.quantity as quantity,
    lines.unit_price as unit_price,
    lines.line_paid_amount as line_paid_amount,
    shares.order_share as order_share,
    orders.order_paid_amount * shares.order_share as allocated_order_amount,
    lines.raw_refund_status as raw_refund_status,
    lines.refund_status as refund_status,
    orders.order_status as order_status,
    orders.is_paid as is_paid,
    orders.created_date as created_date,
    orders.paid_date as paid_date,
    orders.buyer_key as buyer_key,
    cost_prices.cost_price as unit_cost,
    greatest(
        coalesce(lines._last_load_id, ''), coalesce(orders._last_load_id, ''), coalesce(sku_cost_loads.cost_load_id, '')
    ) as _last_load_id
from lines
inner join shares on shares.share_line_key = lines.line_key
left join orders on orders.order_key = lines.order_key
left join sku_cost_loads on sku_cost_loads.sku_code = lines.sku_code
left join cost_prices
    on cost_prices.sku_code = lines.sku_code
    and orders.paid_date >= cost_prices.valid_from
    and (orders.paid_date < cost_prices.valid_to or cost_prices.valid_to is null)
