{#
  Daily exports without a record state (traffic, ads) and the platform bill:
  the same fields on every platform, so one body serves all. A later export of
  the same key (an overlapping download) replaces the earlier one. The bill,
  the biggest, is an incremental table re-ranking the entries of new loads
  (`versions_of`: the column the keys of new rows are looked up by).
#}
{% macro platform_export_layout(kind) -%}
    {%- set traffic_measures = [
        'impressions', 'clicks', 'visitors', 'page_views', 'bounce_rate', 'avg_stay_seconds',
        'add_to_cart_buyers', 'add_to_cart_units', 'favorite_buyers', 'order_buyers',
        'paid_buyers', 'paid_units', 'paid_amount'
    ] -%}
    {%- set layouts = {
        'traffic_shop': {
            'keys': ['shop_code', 'stat_date', 'traffic_source'],
            'columns': ['stat_date', 'traffic_source'] + traffic_measures,
        },
        'traffic_sku': {
            'keys': ['shop_code', 'stat_date', 'platform_item_id'],
            'columns': ['stat_date', 'platform_item_id'] + traffic_measures,
        },
        'ads': {
            'keys': ['shop_code', 'stat_date', 'ad_product', 'campaign_id'],
            'columns': ['stat_date', 'ad_product', 'campaign_id', 'campaign_name', 'spend', 'impressions',
                        'clicks', 'attributed_orders', 'attributed_gmv'],
        },
        'settlement': {
            'keys': ['shop_code', 'entry_id'],
            'columns': ['entry_id', 'booked_at', 'order_id', 'entry_type', 'income', 'expense'],
            'local_dates': {'booked_date': 'booked_at'},
            'versions_of': 'entry_id',
        },
    } -%}
    {{ return(layouts[kind]) }}
{%- endmacro %}

{% macro stage_platform_export(platform, kind) -%}
{%- set layout = platform_export_layout(kind) -%}
{%- set incremental = 'versions_of' in layout -%}
{%- if incremental %}{{ incremental_by_key(layout['keys']) }}{% endif %}
with export_rows as (
    {%- if incremental %}
    {{ versions_to_rank(source('raw', platform ~ '_' ~ kind), layout['versions_of']) }}
    {%- else %}
    select * from {{ source('raw', platform ~ '_' ~ kind) }}
    {%- endif %}
),

latest as (
    {{ latest_version('export_rows', layout['keys']) }}
),

shops as (
    select shop_code, timezone from {{ ref('stg_landing__shops') }}
)

select
    latest.platform,
    latest.shop_code,
    {%- for column in layout['columns'] %}
    latest.{{ column }},
    {%- endfor %}
    {%- for date_column, instant in layout.get('local_dates', {}).items() %}
    {{ local_date('latest.' ~ instant, 'shops.timezone') }} as {{ date_column }},
    {%- endfor %}
    latest._source_file,
    latest._file_mtime
    {%- if incremental %},
    latest._last_load_id
    {%- endif %}
from latest
left join shops on shops.shop_code = latest.shop_code
{%- endmacro %}
