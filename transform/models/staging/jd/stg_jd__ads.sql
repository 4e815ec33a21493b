{#- JD (京东商家后台) ads (京准通) per campaign and day; a later export replaces the earlier one. -#}
with latest as (
    {{ latest_version(source('raw', 'jd_ads'), ['shop_code', 'stat_date', 'ad_product', 'campaign_id']) }}
)

select
    platform,
    shop_code,
    stat_date,
    ad_product,
    campaign_id,
    campaign_name,
    spend,
    impressions,
    clicks,
    attributed_orders,
    attributed_gmv,
    _source_file,
    _file_mtime
from latest
