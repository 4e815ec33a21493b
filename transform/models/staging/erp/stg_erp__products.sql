{#- ERP 商品资料, one row per SKU (商家编码) from the latest file that lists it. -#}
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
