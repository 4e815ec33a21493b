{#-
  One row per shop and business day, from the shop's first to its last
  activity in any source. Sums are 0 on a day without activity; ratios are
  null when their denominator is 0. Definitions: KPI dictionary (yml).
-#}
{{ config(materialized='incremental', unique_key='date', tags=['daily']) }}

with spine as (
    select
        shops.platform as platform,
        shops.shop_code as shop_code,
        cast(series.day_start as date) as date
    from {{ ref('dim_shops') }} as shops
    {{ join_days_between('shops.first_activity_date', 'shops.last_activity_date') }}
    where not shops.is_seller_wide and shops.first_activity_date is not null
        and {{ in_rebuild_window('cast(series.day_start as date)') }}
),

created as (
    select shop_code, created_date as date, sum(gmv_amount) as gmv
    from {{ ref('fct_orders') }}
    group by shop_code, created_date
),

paid as (
    select
        shop_code,
        paid_date as date,
        sum(paid_amount) as paid_amount,
        count(distinct order_key) as paid_orders,
        count(distinct buyer_key) as paid_buyers
    from {{ ref('fct_orders') }}
    where is_paid
    group by shop_code, paid_date
),

paid_lines as (
    select shop_code, paid_date as date, sum(units_sold) as units_sold, sum(coalesce(cogs, 0)) as cogs
    from {{ ref('fct_order_lines') }}
    where is_paid
    group by shop_code, paid_date
),

refunded as (
    select shop_code, refund_date as date, sum(refund_amount) as refund_amount, sum(returned_cogs) as cogs_reversed
    from {{ ref('fct_refunds') }}
    where is_succeeded
    group by shop_code, refund_date
),

traffic as (
    select
        shop_code,
        stat_date as date,
        sum(visitors) as visitors,
        sum(page_views) as page_views,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        sum(bounced_visitors) as bounced_visitors,
        sum(case when bounce_rate is not null then visitors end) as bounce_rated_visitors,
        sum(add_to_cart_buyers) as add_to_cart_buyers,
        sum(order_buyers) as order_buyers,
        sum(paid_buyers) as traffic_paid_buyers,
        sum(paid_amount) as traffic_paid_amount
    from {{ ref('fct_traffic_daily') }}
    group by shop_code, stat_date
),

fees as (
    select shop_code, booked_date as date, sum(platform_fee) as platform_fees
    from {{ ref('fct_settlement') }}
    group by shop_code, booked_date
),

ads as (
    select shop_code, stat_date as date, sum(spend) as ad_spend, sum(attributed_gmv) as attributed_gmv
    from {{ ref('fct_ads_daily') }}
    group by shop_code, stat_date
),

expenses as (
    select shop_code, expense_date as date, sum(amount) as expenses
    from {{ ref('fct_expenses') }}
    group by shop_code, expense_date
),

daily as (
    select
        spine.date as date,
        spine.platform as platform,
        spine.shop_code as shop_code,
        coalesce(created.gmv, 0) as gmv,
        coalesce(paid.paid_amount, 0) as paid_amount,
        coalesce(paid.paid_orders, 0) as paid_orders,
        coalesce(paid.paid_buyers, 0) as paid_buyers,
        coalesce(paid_lines.units_sold, 0) as units_sold,
        coalesce(refunded.refund_amount, 0) as refund_amount,
        coalesce(traffic.visitors, 0) as visitors,
        coalesce(traffic.page_views, 0) as page_views,
        coalesce(traffic.impressions, 0) as impressions,
        coalesce(traffic.clicks, 0) as clicks,
        traffic.bounced_visitors as bounced_visitors,
        traffic.bounce_rated_visitors as bounce_rated_visitors,
        coalesce(traffic.add_to_cart_buyers, 0) as add_to_cart_buyers,
        coalesce(traffic.order_buyers, 0) as order_buyers,
        coalesce(traffic.traffic_paid_buyers, 0) as traffic_paid_buyers,
        coalesce(traffic.traffic_paid_amount, 0) as traffic_paid_amount,
        coalesce(paid_lines.cogs, 0) as cogs,
        coalesce(refunded.cogs_reversed, 0) as cogs_reversed,
        coalesce(fees.platform_fees, 0) as platform_fees,
        coalesce(ads.ad_spend, 0) as ad_spend,
        coalesce(ads.attributed_gmv, 0) as attributed_gmv,
        coalesce(expenses.expenses, 0) as expenses
    from spine
    left join created on created.shop_code = spine.shop_code and created.date = spine.date
    left join paid on paid.shop_code = spine.shop_code and paid.date = spine.date
    left join paid_lines on paid_lines.shop_code = spine.shop_code and paid_lines.date = spine.date
    left join refunded on refunded.shop_code = spine.shop_code and refunded.date = spine.date
    left join traffic on traffic.shop_code = spine.shop_code and traffic.date = spine.date
    left join fees on fees.shop_code = spine.shop_code and fees.date = spine.date
    left join ads on ads.shop_code = spine.shop_code and ads.date = spine.date
    left join expenses on expenses.shop_code = spine.shop_code and expenses.date = spine.date
),

with_profit as (
    select
        daily.*,
        paid_amount - refund_amount as net_sales,
        paid_amount - refund_amount - (cogs - cogs_reversed) as gross_profit
    from daily
)

select
    date,
    platform,
    shop_code,
    gmv,
    paid_amount,
    paid_orders,
    paid_buyers,
    units_sold,
    refund_amount,
    net_sales,
    {{ safe_divide('paid_amount', 'paid_orders') }} as aov,
    {{ safe_divide('paid_amount', 'paid_buyers') }} as arpu,
    {{ safe_divide('refund_amount', 'paid_amount') }} as refund_rate,
    visitors,
    page_views,
    impressions,
    clicks,
    bounced_visitors,
    bounce_rated_visitors,
    add_to_cart_buyers,
    order_buyers,
    traffic_paid_buyers,
    traffic_paid_amount,
    {{ safe_divide('clicks', 'impressions') }} as ctr,
    {{ safe_divide('bounced_visitors', 'bounce_rated_visitors') }} as bounce_rate,
    {{ safe_divide('add_to_cart_buyers', 'visitors') }} as add_to_cart_rate,
    {{ safe_divide('order_buyers', 'visitors') }} as order_conversion,
    {{ safe_divide('traffic_paid_buyers', 'visitors') }} as payment_conversion,
    {{ safe_divide('traffic_paid_amount', 'visitors') }} as uv_value,
    cogs,
    cogs_reversed,
    gross_profit,
    {{ safe_divide('gross_profit', 'net_sales') }} as gross_margin,
    platform_fees,
    ad_spend,
    attributed_gmv,
    {{ safe_divide('attributed_gmv', 'ad_spend') }} as roas,
    {{ safe_divide('ad_spend', 'attributed_gmv') }} as acos,
    {{ safe_divide('attributed_gmv * ' ~ safe_divide('gross_profit', 'net_sales') ~ ' - ad_spend', 'ad_spend') }} as roi,
    expenses,
    gross_profit - platform_fees - ad_spend - expenses as contribution_profit,
    current_timestamp as _built_at
from with_profit
