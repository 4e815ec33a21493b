{#- Every SKU (商家编码) known to the ERP or sold on a platform, with its catalogue data and first sale / receipt. -#}
with products as (
    select * from {{ ref('stg_erp__products') }}
),

sales as (
    select sku_code, min(paid_date) as first_paid_date
    from {{ ref('int_order_lines') }}
    where is_paid
    group by sku_code
),

receipts as (
    select sku_code, min(received_date) as first_received_date
    from {{ ref('stg_erp__inventory_receipts') }}
    group by sku_code
),

current_costs as (
    select sku_code, cost_price
    from {{ ref('int_cogs_price_periods') }}
    where valid_to is null
),

sku_codes as (
    select sku_code from products
    union distinct
    select sku_code from {{ ref('int_order_lines') }}
    union distinct
    select sku_code from {{ ref('stg_erp__inventory_snapshot') }}
    union distinct
    select sku_code from {{ ref('stg_erp__inventory_receipts') }}
    union distinct
    select sku_code from {{ ref('stg_erp__cogs') }}
)

select
    sku_codes.sku_code as sku_code,
    products.product_name as product_name,
    products.category as category,
    products.brand as brand,
    products.launch_date as launch_date,
    products.tag_price as tag_price,
    products.sku_code is not null as is_in_product_master,
    current_costs.cost_price as current_cost_price,
    sales.first_paid_date as first_paid_date,
    receipts.first_received_date as first_received_date
from sku_codes
left join products on products.sku_code = sku_codes.sku_code
left join sales on sales.sku_code = sku_codes.sku_code
left join receipts on receipts.sku_code = sku_codes.sku_code
left join current_costs on current_costs.sku_code = sku_codes.sku_code
where sku_codes.sku_code is not null
