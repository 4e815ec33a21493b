{#- ERP 成本价 per SKU and effective date (latest file wins); a price holds until the next one. -#}
with latest as (
    {{ latest_version(source('raw', 'erp_cogs'), ['sku_code', 'effective_date']) }}
)

select
    sku_code,
    effective_date,
    cost_price,
    _last_load_id
from latest
