select
    shop_code,
    platform,
    shop_name,
    coalesce(timezone, 'Asia/Shanghai') as timezone,
    coalesce(currency, 'CNY') as currency
from {{ source('raw', 'shops') }}
