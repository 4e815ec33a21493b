{#- ERP 库存快照, one row per date, warehouse and SKU (latest file wins). -#}
with latest as (
    {{ latest_version(source('raw', 'erp_inventory_snapshot'), ['snapshot_date', 'warehouse', 'sku_code']) }}
)

select
    snapshot_date,
    warehouse,
    sku_code,
    on_hand_qty,
    available_qty,
    in_transit_qty,
    _last_load_id
from latest
