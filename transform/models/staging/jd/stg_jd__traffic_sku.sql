{#- JD (京东商家后台) product traffic (京东商智) per day and item; a later export replaces the earlier one. -#}
with latest as (
    {{ latest_version(source('raw', 'jd_traffic_sku'), ['shop_code', 'stat_date', 'platform_item_id']) }}
)

select
    platform,
    shop_code,
    stat_date,
    platform_item_id,
    impressions,
    clicks,
    visitors,
    page_views,
    bounce_rate,
    avg_stay_seconds,
    add_to_cart_buyers,
    add_to_cart_units,
    favorite_buyers,
    order_buyers,
    paid_buyers,
    paid_units,
    paid_amount,
    _source_file,
    _file_mtime
from latest
