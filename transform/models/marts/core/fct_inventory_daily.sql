{#-
  Inventory per SKU x warehouse x day with the day's receipts and the stock valued at the cost price in force.
  Incremental by day like int_inventory_daily: a run rebuilds every day from the earliest day rebuilt upstream
  or the earliest cost period loaded since, whichever is first; the running receipts total starts from
  the receipts before that day.
-#}
{{ config(materialized='incremental', unique_key='inventory_date', meta={'data_tests_read': 'latest_build'}) }}

with inventory as {{ not_materialized() }} (
    select * from {{ ref('int_inventory_daily') }}
),

cost_prices as (
    select * from {{ ref('int_cogs_price_periods') }}
),

rebuild_start as (
    {{ first_day_to_rebuild([('inventory', 'inventory_date'), ('cost_prices', 'valid_from')]) }}
),

input_load as (
    {{ newest_load(['inventory', 'cost_prices']) }}
),

rebuilt as (
    select inventory.*
    from inventory
    inner join rebuild_start on inventory.inventory_date >= rebuild_start.first_date
),

earlier_receipts as (
    select
        inventory.warehouse as warehouse,
        inventory.sku_code as sku_code,
        sum(inventory.received_qty) as received_qty
    from inventory
    inner join rebuild_start on inventory.inventory_date < rebuild_start.first_date
    group by inventory.warehouse, inventory.sku_code
)

select
    rebuilt.inventory_date as inventory_date,
    rebuilt.warehouse as warehouse,
    rebuilt.sku_code as sku_code,
    rebuilt.is_snapshot_day as is_snapshot_day,
    rebuilt.on_hand_qty as on_hand_qty,
    rebuilt.available_qty as available_qty,
    rebuilt.in_transit_qty as in_transit_qty,
    rebuilt.received_qty as received_qty,
    rebuilt.received_value as received_value,
    coalesce(earlier_receipts.received_qty, 0) + sum(rebuilt.received_qty) over (
        partition by rebuilt.warehouse, rebuilt.sku_code
        order by rebuilt.inventory_date
        rows between unbounded preceding and current row
    ) as cumulative_received_qty,
    cost_prices.cost_price as unit_cost,
    rebuilt.on_hand_qty * cost_prices.cost_price as on_hand_value,
    input_load.load_id as _last_load_id,
    current_timestamp as _built_at
from rebuilt
cross join input_load
left join earlier_receipts
    on earlier_receipts.warehouse = rebuilt.warehouse
    and earlier_receipts.sku_code = rebuilt.sku_code
left join cost_prices
    on cost_prices.sku_code = rebuilt.sku_code
    and rebuilt.inventory_date >= cost_prices.valid_from
    and (rebuilt.inventory_date < cost_prices.valid_to or cost_prices.valid_to is null)
