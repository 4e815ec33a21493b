{#- One row per order line; amounts are the line's share of its order, so they add up to the order amount. Incremental like int_order_lines. -#}
{{ config(materialized='incremental', unique_key='line_key') }}

select
    line_key,
    order_key,
    platform,
    shop_code,
    order_id,
    line_id,
    platform_item_id,
    sku_code,
    item_title,
    sku_spec,
    order_status,
    is_paid,
    created_date,
    paid_date,
    quantity,
    unit_price,
    line_paid_amount,
    order_share,
    allocated_order_amount,
    case when is_paid then quantity else 0 end as units_sold,
    case when is_paid then allocated_order_amount else 0 end as paid_amount,
    unit_cost,
    case when is_paid then quantity * unit_cost end as cogs,
    raw_refund_status,
    refund_status,
    buyer_key,
    case when buyer_key is not null then shop_code || ':' || buyer_key end as customer_key,
    _last_load_id,
    current_timestamp as _built_at
from {{ ref('int_order_lines') }}
{%- if is_incremental() %}
where {{ loaded_after_last_build() }}
{%- endif %}
