{#- Shop traffic per day and traffic source as the platforms export it (生意参谋, 京东商智, 拼多多, 抖店罗盘). -#}
with traffic as (
    {{ union_platforms('traffic_shop') }}
)

select
    stat_date,
    platform,
    shop_code,
    coalesce(traffic_source, '(all)') as traffic_source,
    impressions,
    clicks,
    visitors,
    page_views,
    bounce_rate,
    {#- carries the visitor weight of the exported rate, so rates average correctly over sources and days -#}
    bounce_rate * visitors as bounced_visitors,
    avg_stay_seconds,
    add_to_cart_buyers,
    add_to_cart_units,
    favorite_buyers,
    order_buyers,
    paid_buyers,
    paid_units,
    paid_amount
from traffic
