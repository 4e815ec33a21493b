{#-
  Every platform's orders, one row each, with their line totals and the buyer's
  paid-order sequence in the shop. Incremental: a run rebuilds the orders with
  rows from new loads, and every order of their buyers, whose sequence they can
  shift. `_last_load_id` is the newest load behind the buyer's orders, so the
  renumbered orders reach the models downstream too.
  Keys, sequence and loads are worked out on narrow rows and the wide rows read
  once, at the end: a window holds its whole input, and at 50 shops x 365 days
  the windows over wide rows did not fit a 2GB DuckDB.
-#}
{{ config(materialized='incremental', unique_key='order_key') }}

with order_keys as {{ not_materialized() }} (
    {{ union_platforms('orders', ['order_key', 'shop_code', 'buyer_key', 'paid_at', '_last_load_id']) }}
),

line_keys as {{ not_materialized() }} (
    {{ union_platforms('order_lines', ['order_key', 'quantity', '_last_load_id']) }}
),

{% if is_incremental() -%}
changed_orders as (
    select order_key from order_keys where {{ loaded_after_last_build() }}
    union distinct
    select order_key from line_keys where {{ loaded_after_last_build() }}
),

changed_buyers as (
    select distinct shop_code as changed_shop_code, buyer_key as changed_buyer_key
    from order_keys
    where buyer_key is not null and order_key in (select order_key from changed_orders)
),

orders_to_build as (
    select * from order_keys where order_key in (select order_key from changed_orders)
    union distinct
    select order_keys.*
    from order_keys
    inner join changed_buyers
        on changed_buyers.changed_shop_code = order_keys.shop_code
        and changed_buyers.changed_buyer_key = order_keys.buyer_key
),
{%- else -%}
orders_to_build as (
    select * from order_keys
),
{%- endif %}

line_totals as (
    select order_key, count(*) as line_count, sum(quantity) as units, max(_last_load_id) as lines_load_id
    from line_keys
    {%- if is_incremental() %}
    where order_key in (select order_key from orders_to_build)
    {%- endif %}
    group by order_key
),

{#- Each joined relation names its key apart from the orders' order_key: ClickHouse would rename that
    column of orders.* to orders.order_key, to tell it from a namesake. #}
order_loads as (
    select
        orders_to_build.order_key as load_order_key,
        orders_to_build.shop_code,
        orders_to_build.buyer_key,
        orders_to_build.paid_at,
        line_totals.line_count,
        line_totals.units,
        greatest(coalesce(orders_to_build._last_load_id, ''), coalesce(line_totals.lines_load_id, '')) as order_load_id
    from orders_to_build
    left join line_totals on line_totals.order_key = orders_to_build.order_key
),

{#- Paid orders sort first (nulls last), so their row numbers count the paid orders only. #}
sequenced as (
    select
        load_order_key,
        line_count,
        units,
        case when paid_at is not null and buyer_key is not null then row_number() over (
            partition by shop_code, buyer_key
            order by paid_at nulls last, load_order_key
        ) end as buyer_paid_order_number,
        case
            when buyer_key is null then order_load_id
            else max(order_load_id) over (partition by shop_code, buyer_key)
        end as buyer_load_id
    from order_loads
),

orders as (
    {{ union_platforms('orders') }}
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
    coalesce(sequenced.line_count, 0) as line_count,
    coalesce(sequenced.units, 0) as units,
    orders.buyer_key,
    sequenced.buyer_paid_order_number,
    orders.receiver_province,
    orders.receiver_city,
    orders.traffic_source,
    orders.creator,
    sequenced.buyer_load_id as _last_load_id
from orders
inner join sequenced on sequenced.load_order_key = orders.order_key
