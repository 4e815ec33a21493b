{#- One row per refund / after-sales case (latest state); only succeeded ones move money, on refund_date. Incremental like int_refunds. -#}
{{ config(materialized='incremental', unique_key='refund_key') }}

select
    refund_key,
    order_key,
    line_key,
    platform,
    shop_code,
    refund_id,
    order_id,
    sku_code,
    raw_status,
    refund_status,
    is_succeeded,
    raw_refund_type,
    refund_type,
    reason,
    requested_at,
    refunded_at,
    requested_date,
    refunded_date,
    refund_date,
    refund_amount,
    case when is_succeeded then refund_amount else 0 end as succeeded_refund_amount,
    returned_units,
    unit_cost,
    coalesce(returned_units * unit_cost, 0) as returned_cogs,
    _last_load_id,
    current_timestamp as _built_at
from {{ ref('int_refunds') }}
{%- if is_incremental() %}
where {{ loaded_after_last_build() }}
{%- endif %}
