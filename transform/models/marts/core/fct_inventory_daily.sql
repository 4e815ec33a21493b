{#- Inventory per SKU x warehouse x day with the day's receipts and the stock valued at the cost price in force. -#}
with inventory as (
    select * from {{ ref('int_inventory_daily') }}
),

cost_prices as (
    select * from {{ ref('int_cogs_price_periods') }}
)

select
    inventory.inventory_date,
    inventory.warehouse,
    inventory.sku_code,
    inventory.is_snapshot_day,
    inventory.on_hand_qty,
    inventory.available_qty,
    inventory.in_transit_qty,
    inventory.received_qty,
    inventory.received_value,
    sum(inventory.received_qty) over (
        partition by inventory.warehouse, inventory.sku_code
        order by inventory.inventory_date
        rows between unbounded preceding and current row
    ) as cumulative_received_qty,
    cost_prices.cost_price as unit_cost,
    inventory.on_hand_qty * cost_prices.cost_price as on_hand_value
from inventory
left join cost_prices
    on cost_prices.sku_code = inventory.sku_code
    and inventory.inventory_date >= cost_prices.valid_from
    and (inventory.inventory_date < cost_prices.valid_to or cost_prices.valid_to is null)
