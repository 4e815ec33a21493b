with latest as (
    {{ latest_version(source('raw', 'erp_products'), ['sku_code']) }}
)

select
    sku_code,
    product_name,
    category,
    brand,
    launch_date,
    tag_price
from latest
