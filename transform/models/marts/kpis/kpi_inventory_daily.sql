{#-
  Inventory health per SKU and day, all warehouses together (orders do not say
  which warehouse shipped), reported under the seller-wide pseudo shop.
  days_of_inventory = available ÷ average daily units sold over the trailing
  30 days; label precedence: stockout, slow_moving, at_risk, overstock, healthy.
-#}
{{ config(materialized='incremental', unique_key='date', tags=['daily']) }}

with stock as (
    select
        inventory_date as date,
        sku_code,
        count(*) as warehouses,
        sum(on_hand_qty) as on_hand_qty,
        sum(available_qty) as available_qty,
        sum(in_transit_qty) as in_transit_qty,
        sum(on_hand_value) as on_hand_value
    from {{ ref('fct_inventory_daily') }}
    where {{ in_rebuild_window('inventory_date') }}
    group by inventory_date, sku_code
),

sales as (
    select date, sku_code, units_sold, cogs, units_sold_trailing_30d
    from {{ ref('kpi_sku_daily') }}
),

skus as (
    select sku_code, launch_date from {{ ref('dim_skus') }}
),

measured as (
    select
        stock.date as date,
        stock.sku_code as sku_code,
        stock.warehouses as warehouses,
        stock.on_hand_qty as on_hand_qty,
        stock.available_qty as available_qty,
        stock.in_transit_qty as in_transit_qty,
        stock.on_hand_value as on_hand_value,
        coalesce(sales.units_sold, 0) as units_sold,
        coalesce(sales.cogs, 0) as cogs,
        coalesce(sales.units_sold_trailing_30d, 0) as units_sold_trailing_30d,
        coalesce(sales.units_sold_trailing_30d, 0) / 30.0 as avg_daily_units_30d,
        {#- active: on sale by that day (上市日期 reached, or unknown) and tracked in stock -#}
        (skus.launch_date is null or skus.launch_date <= stock.date) and stock.available_qty is not null as is_active
    from stock
    left join sales on sales.sku_code = stock.sku_code and sales.date = stock.date
    left join skus on skus.sku_code = stock.sku_code
),

rated as (
    select
        measured.*,
        {{ safe_divide('available_qty', 'avg_daily_units_30d') }} as days_of_inventory
    from measured
)

select
    date,
    '{{ var("seller_wide_shop_code") }}' as platform,
    '{{ var("seller_wide_shop_code") }}' as shop_code,
    sku_code,
    warehouses,
    on_hand_qty,
    available_qty,
    in_transit_qty,
    on_hand_value,
    units_sold,
    cogs,
    units_sold_trailing_30d,
    avg_daily_units_30d,
    days_of_inventory,
    is_active,
    is_active and available_qty <= 0 as is_stockout,
    coalesce(available_qty > 0, false) as is_in_stock,
    coalesce(available_qty > 0 and units_sold_trailing_30d = 0, false) as is_slow_moving,
    case
        when available_qty is null then null
        when available_qty <= 0 then 'stockout'
        when units_sold_trailing_30d = 0 then 'slow_moving'
        when days_of_inventory < 7 then 'at_risk'
        when days_of_inventory > 90 then 'overstock'
        else 'healthy'
    end as inventory_health,
    current_timestamp as _built_at
from rated
