{#- Tmall (千牛 exports, same format as Taobao) shop traffic (生意参谋) per day and traffic source; a later export of the same day and source replaces the earlier one. -#}
with latest as (
    {{ latest_version(source('raw', 'tmall_traffic_shop'), ['shop_code', 'stat_date', 'traffic_source']) }}
)

select
    platform,
    shop_code,
    stat_date,
    traffic_source,
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
