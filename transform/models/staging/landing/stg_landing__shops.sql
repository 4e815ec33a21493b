select
    shop_code,
    platform,
    shop_name,
    coalesce(timezone, '{{ var("default_timezone") }}') as timezone,
    coalesce(currency, '{{ var("default_currency") }}') as currency
from {{ source('raw', 'shops') }}
