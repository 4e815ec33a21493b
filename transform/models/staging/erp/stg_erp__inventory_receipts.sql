{#- ERP 入库单 lines, one per receipt, warehouse and SKU (latest file wins), valued at the purchase unit cost. -#}
with latest as (
    {{ latest_version(source('raw', 'erp_inventory_receipts'), ['receipt_id', 'warehouse', 'sku_code']) }}
)

select
    receipt_id,
    received_date,
    warehouse,
    sku_code,
    quantity,
    unit_cost,
    quantity * unit_cost as received_value,
    _last_load_id
from latest
