{#-
  Refunds matched to the order line they refund: by line id where the export
  has one, else the order's only line. A successful return-and-refund brings
  units back, whose cost is reversed on the refund date (at the cost booked
  when the line was paid). Incremental: a run rebuilds the refunds from new
  loads and those of orders whose lines were rebuilt.
-#}
{{ config(materialized='incremental', unique_key='refund_key') }}

with all_refunds as (
    {{ union_platforms('refunds') }}
),

all_lines as (
    select * from {{ ref('int_order_lines') }}
),

refunds as (
    select * from all_refunds
    {%- if is_incremental() %}
    where {{ loaded_after_last_build() }}
        or order_key in (select order_key from all_lines where {{ loaded_after_last_build() }})
    {%- endif %}
),

lines as (
    select * from all_lines
    {%- if is_incremental() %}
    where order_key in (select order_key from refunds)
    {%- endif %}
),

order_line_loads as (
    select order_key, max(_last_load_id) as lines_load_id
    from lines
    group by order_key
),

{#- The joined relations name their columns apart from the refunds' own: ClickHouse would rename a
    column of refunds.* that has a namesake (to refunds.order_key). #}
single_line_orders as (
    select order_key as single_line_order_key, min(line_key) as single_line_key
    from lines
    group by order_key
    having count(*) = 1
),

line_keys as (
    select line_key as by_line_key from lines
),

matched as (
    select
        refunds.*,
        coalesce(line_keys.by_line_key, single_line_orders.single_line_key) as matched_line_key
    from refunds
    left join line_keys on line_keys.by_line_key = refunds.line_key
    left join single_line_orders on single_line_orders.single_line_order_key = refunds.order_key
)

select
    matched.refund_key as refund_key,
    matched.order_key as order_key,
    matched.matched_line_key as line_key,
    matched.platform as platform,
    matched.shop_code as shop_code,
    matched.refund_id as refund_id,
    matched.order_id as order_id,
    lines.sku_code as sku_code,
    matched.refund_amount as refund_amount,
    matched.requested_at as requested_at,
    matched.refunded_at as refunded_at,
    matched.requested_date as requested_date,
    matched.refunded_date as refunded_date,
    matched.raw_status as raw_status,
    matched.refund_status as refund_status,
    matched.refund_status = 'succeeded' as is_succeeded,
    {#- a success without 完结时间 counts on its request date rather than never -#}
    case
        when matched.refund_status = 'succeeded' then coalesce(matched.refunded_date, matched.requested_date)
    end as refund_date,
    matched.raw_refund_type as raw_refund_type,
    matched.refund_type as refund_type,
    matched.reason as reason,
    case
        when matched.refund_status = 'succeeded' and matched.refund_type = 'return_and_refund'
            then cast(round(lines.quantity * least(1.0, coalesce({{ safe_divide("matched.refund_amount", "lines.allocated_order_amount") }}, 1.0))) as bigint)
        else 0
    end as returned_units,
    lines.unit_cost as unit_cost,
    greatest(coalesce(matched._last_load_id, ''), coalesce(order_line_loads.lines_load_id, '')) as _last_load_id
from matched
left join lines on lines.line_key = matched.matched_line_key
left join order_line_loads on order_line_loads.order_key = matched.order_key
