{#- Ad spend and attributed results per campaign and day (直通车, 万相台, 京准通, 多多推广, 巨量千川). -#}
with ads as (
    {{ union_platforms('ads') }}
)

select
    stat_date,
    platform,
    shop_code,
    ad_product,
    campaign_id,
    campaign_name,
    coalesce(spend, 0) as spend,
    impressions,
    clicks,
    attributed_orders,
    coalesce(attributed_gmv, 0) as attributed_gmv
from ads
