{#- Tmall (千牛 exports, same format as Taobao) ads (直通车, 万相台) per campaign and day; a later export replaces the earlier one. -#}
with latest as (
    {{ latest_version(source('raw', 'tmall_ads'), ['shop_code', 'stat_date', 'ad_product', 'campaign_id']) }}
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
