{#- Douyin (抖店) product traffic (抖店罗盘) per day and item; a later export replaces the earlier one. -#}
with latest as (
    {{ latest_version(source('raw', 'douyin_traffic_sku'), ['shop_code', 'stat_date', 'platform_item_id']) }}
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
