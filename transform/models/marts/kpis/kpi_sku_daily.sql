{#-
  One row per SKU (商家编码) and day across all shops (reported under the
  seller-wide pseudo shop), from the SKU's first sale, receipt or stock record
  to the last day of data: units, amounts, and 售罄率 since the first receipt.
-#}
{{ config(materialized='incremental', unique_key='date', tags=['daily']) }}

with sales as (
    select
        sku_code,
        paid_date as date,
        sum(units_sold) as units_sold,
        sum(paid_amount) as paid_amount,
        count(distinct order_key) as paid_orders,
        sum(coalesce(cogs, 0)) as cogs
    from {{ ref('fct_order_lines') }}
    where is_paid
    group by sku_code, paid_date
),

refunds as (
    select
        sku_code,
        refund_date as date,
        sum(refund_amount) as refund_amount,
        sum(returned_units) as returned_units,
        sum(returned_cogs) as cogs_reversed
    from {{ ref('fct_refunds') }}
    where is_succeeded and sku_code is not null
    group by sku_code, refund_date
),

receipts as (
    select
        sku_code,
        inventory_date as date,
        sum(received_qty) as received_qty,
        sum(received_value) as received_value
    from {{ ref('fct_inventory_daily') }}
    group by sku_code, inventory_date
),

first_days as (
    select sku_code, min(date) as first_date
    from (
        select sku_code, date from sales
        union all
        select sku_code, date from receipts
    ) as activity
    group by sku_code
),

first_receipts as (
    select sku_code, min(date) as first_receipt_date
    from receipts
    where received_qty > 0
    group by sku_code
),

spine as (
    select
        first_days.sku_code as sku_code,
        cast(series.day_start as date) as date
    from first_days
    cross join (select max(date_day) as last_date from {{ ref('dim_dates') }}) as bounds
    {{ join_days_between('first_days.first_date', 'bounds.last_date') }}
),

daily as (
    select
        spine.date as date,
        spine.sku_code as sku_code,
        coalesce(sales.units_sold, 0) as units_sold,
        coalesce(sales.paid_amount, 0) as paid_amount,
        coalesce(sales.paid_orders, 0) as paid_orders,
        coalesce(sales.cogs, 0) as cogs,
        coalesce(refunds.refund_amount, 0) as refund_amount,
        coalesce(refunds.returned_units, 0) as returned_units,
        coalesce(refunds.cogs_reversed, 0) as cogs_reversed,
        coalesce(receipts.received_qty, 0) as received_qty,
        coalesce(receipts.received_value, 0) as received_value,
        first_receipts.first_receipt_date as first_receipt_date
    from spine
    left join sales on sales.sku_code = spine.sku_code and sales.date = spine.date
    left join refunds on refunds.sku_code = spine.sku_code and refunds.date = spine.date
    left join receipts on receipts.sku_code = spine.sku_code and receipts.date = spine.date
    left join first_receipts on first_receipts.sku_code = spine.sku_code
),

cumulative as (
    select
        daily.*,
        sum(case when date >= first_receipt_date then units_sold else 0 end) over sku_to_date as cumulative_units_sold,
        sum(case when date >= first_receipt_date then cogs else 0 end) over sku_to_date as cumulative_cogs,
        sum(received_qty) over sku_to_date as cumulative_units_received,
        sum(received_value) over sku_to_date as cumulative_received_value,
        sum(units_sold) over (
            partition by sku_code order by date rows between 29 preceding and current row
        ) as units_sold_trailing_30d
    from daily
    window sku_to_date as (partition by sku_code order by date rows between unbounded preceding and current row)
)

select
    date,
    '{{ var("seller_wide_shop_code") }}' as platform,
    '{{ var("seller_wide_shop_code") }}' as shop_code,
    sku_code,
    units_sold,
    paid_amount,
    paid_orders,
    refund_amount,
    returned_units,
    cogs,
    cogs_reversed,
    paid_amount - refund_amount - (cogs - cogs_reversed) as gross_profit,
    received_qty,
    received_value,
    units_sold_trailing_30d,
    units_sold_trailing_30d > 0 as is_sold_trailing_30d,
    case when first_receipt_date <= date then cumulative_units_sold end as cumulative_units_sold,
    case when first_receipt_date <= date then cumulative_units_received end as cumulative_units_received,
    case when first_receipt_date <= date then cumulative_cogs end as cumulative_cogs,
    case when first_receipt_date <= date then cumulative_received_value end as cumulative_received_value,
    case when first_receipt_date <= date then {{ safe_divide('cumulative_units_sold', 'cumulative_units_received') }} end as sell_out_rate,
    case when first_receipt_date <= date then {{ safe_divide('cumulative_cogs', 'cumulative_received_value') }} end as sell_out_rate_value,
    current_timestamp as _built_at
from cumulative
{#- cumulative and trailing sums need every earlier day; only the window's days are written #}
where {{ in_rebuild_window('date') }}
