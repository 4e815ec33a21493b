{#-
  The registered shops, plus one seller-wide pseudo shop (var seller_wide_shop_code)
  under which facts that belong to no single shop (ERP inventory, the catalogue)
  are reported, so every metric can be grouped by shop and platform.
-#}
with shops as (
    select * from {{ ref('stg_landing__shops') }}
),

activity as (
    select
        shop_code,
        min(activity_date) as first_activity_date,
        max(activity_date) as last_activity_date
    from {{ ref('int_shop_activity_days') }}
    group by shop_code
)

select
    shops.shop_code,
    shops.platform,
    shops.shop_name,
    shops.timezone,
    shops.currency,
    false as is_seller_wide,
    activity.first_activity_date,
    activity.last_activity_date
from shops
left join activity on activity.shop_code = shops.shop_code

union all

select
    '{{ var("seller_wide_shop_code") }}' as shop_code,
    '{{ var("seller_wide_shop_code") }}' as platform,
    '全部店铺 (seller-wide)' as shop_name,
    '{{ var("default_timezone") }}' as timezone,
    '{{ var("default_currency") }}' as currency,
    true as is_seller_wide,
    (select min(activity_date) from {{ ref('int_shop_activity_days') }}) as first_activity_date,
    (select max(activity_date) from {{ ref('int_shop_activity_days') }}) as last_activity_date
