{#-
  Every platform's orders, one row each, with their line totals and the buyer's
  paid-order sequence in the shop. Incremental: a run rebuilds the orders with
  rows from new loads, and every order of their buyers, whose sequence they can
  shift. `_last_load_id` is the newest load behind the buyer's orders, so the
  renumbered orders reach the models downstream too.
-#}
{{ config(materialized='incremental', unique_key='order_key') }}

with all_orders as (
    {{ union_platforms('orders') }}
),

all_lines as (
    {{ union_platforms('order_lines') }}
),

{% if is_incremental() -%}
changed_orders as (
    select order_key from all_orders where {{ loaded_after_last_build() }}
    union distinct
    select order_key from all_lines where {{ loaded_after_last_build() }}
),

changed_buyers as (
    select distinct shop_code, buyer_key
    from all_orders
    where buyer_key is not null and order_key in (select order_key from changed_orders)
),

orders_to_build as (
    select order_key from changed_orders
    union distinct
    select all_orders.order_key
    from all_orders
    inner join changed_buyers
        on changed_buyers.shop_code = all_orders.shop_code
        and changed_buyers.buyer_key = all_orders.buyer_key
),

orders as (
    select * from all_orders where order_key in (select order_key from orders_to_build)
),

lines as (
    select * from all_lines where order_key in (select order_key from orders_to_build)
),
{%- else -%}
orders as (
    select * from all_orders
),

lines as (
    select * from all_lines
),
{%- endif %}

{#- Each joined relation names its key apart from the orders' order_key: ClickHouse would rename that
    column of orders.* to orders.order_key, to tell it from a namesake. #}
line_totals as (
    select
        order_key as totals_order_key,
        count(*) as line_count,
        sum(quantity) as units,
        max(_last_load_id) as lines_load_id
    from lines
    group by order_key
),

paid_sequence as (
    select
        order_key as sequence_order_key,
        row_number() over (
            partition by shop_code, buyer_key
            order by paid_at, order_key
        ) as buyer_paid_order_number
    from orders
    where paid_at is not null and buyer_key is not null
),

with_load as (
    select
        orders.*,
        line_totals.line_count,
        line_totals.units,
        paid_sequence.buyer_paid_order_number,
        greatest(coalesce(orders._last_load_id, ''), coalesce(line_totals.lines_load_id, '')) as order_load_id
    from orders
    left join line_totals on line_totals.totals_order_key = orders.order_key
    left join paid_sequence on paid_sequence.sequence_order_key = orders.order_key
)

select
    order_key,
    platform,
    shop_code,
    order_id,
    raw_status,
    order_status,
    created_at,
    paid_at,
    shipped_at,
    completed_at,
    created_date,
    paid_date,
    paid_at is not null as is_paid,
    order_paid_amount,
    shipping_fee,
    discount_amount,
    merchant_received,
    coalesce(line_count, 0) as line_count,
    coalesce(units, 0) as units,
    buyer_key,
    buyer_paid_order_number,
    receiver_province,
    receiver_city,
    traffic_source,
    creator,
    case
        when buyer_key is null then order_load_id
        else max(order_load_id) over (partition by shop_code, buyer_key)
    end as _last_load_id
from with_load
