{#- The cost price of each SKU holds from its effective date until the next one (valid_to exclusive, null = still in force). -#}
select
    sku_code,
    cost_price,
    effective_date as valid_from,
    {{ lead_or_null('effective_date') }} over (partition by sku_code order by effective_date) as valid_to,
    _last_load_id
from {{ ref('stg_erp__cogs') }}
