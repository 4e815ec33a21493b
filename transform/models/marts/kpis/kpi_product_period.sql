{#-
  Assortment KPIs per calendar month. Shop rows: 动销率 and 爆品占比 of the
  shop; the seller-wide row: the same over all shops plus 新品占比 and 售罄率,
  which belong to the catalogue and stock rather than to a shop.
  A month still running ends at the last day of data.
-#}
{{ config(materialized='incremental', unique_key='period_start', tags=['daily']) }}

with periods as (
    select month_start as period_start, max(date_day) as period_end
    from {{ ref('dim_dates') }}
    where {{ in_rebuild_window('month_start', 'period_start', 'month') }}
    group by month_start
),

shops as (
    select shop_code, platform from {{ ref('dim_shops') }}
),

lines as (
    select shop_code, sku_code, paid_date, units_sold, paid_amount
    from {{ ref('fct_order_lines') }}
    where is_paid
),

{#- every line twice: once for its shop, once for the seller as a whole -#}
scoped_lines as (
    select shop_code, sku_code, paid_date, units_sold, paid_amount from lines
    union all
    select '{{ var("seller_wide_shop_code") }}', sku_code, paid_date, units_sold, paid_amount from lines
),

sku_period_sales as (
    select
        periods.period_start as period_start,
        scoped_lines.shop_code as shop_code,
        scoped_lines.sku_code as sku_code,
        sum(scoped_lines.paid_amount) as paid_amount
    from scoped_lines
    inner join periods on scoped_lines.paid_date between periods.period_start and periods.period_end
    group by periods.period_start, scoped_lines.shop_code, scoped_lines.sku_code
),

ranked_skus as (
    select
        sku_period_sales.*,
        row_number() over (
            partition by period_start, shop_code order by paid_amount desc, sku_code
        ) as paid_amount_rank
    from sku_period_sales
),

hit_products as (
    select
        period_start,
        shop_code,
        sum(paid_amount) as paid_amount,
        sum(case when paid_amount_rank <= {{ var('hit_product_top_n') }} then paid_amount else 0 end) as top_skus_paid_amount
    from ranked_skus
    group by period_start, shop_code
),

sold_trailing_30d as (
    select
        periods.period_start as period_start,
        scoped_lines.shop_code as shop_code,
        count(distinct scoped_lines.sku_code) as skus_sold_trailing_30d
    from scoped_lines
    inner join periods
        on scoped_lines.paid_date between {{ dbt.dateadd('day', -29, 'periods.period_end') }} and periods.period_end
    where scoped_lines.units_sold > 0
    group by periods.period_start, scoped_lines.shop_code
),

catalogue as (
    select
        periods.period_start as period_start,
        count(distinct case when skus.launch_date <= periods.period_end then skus.sku_code end) as skus_on_sale,
        count(distinct case when skus.launch_date between periods.period_start and periods.period_end then skus.sku_code end) as new_skus,
        count(distinct case when skus.launch_date <= periods.period_end or stock.available_qty > 0 then skus.sku_code end)
            as skus_on_sale_or_in_stock
    from periods
    cross join {{ ref('dim_skus') }} as skus
    left join {{ ref('kpi_inventory_daily') }} as stock
        on stock.sku_code = skus.sku_code and stock.date = periods.period_end
    group by periods.period_start
),

sell_out as (
    select
        periods.period_start as period_start,
        sum(sku_days.cumulative_units_sold) as cumulative_units_sold,
        sum(sku_days.cumulative_units_received) as cumulative_units_received
    from periods
    inner join {{ ref('kpi_sku_daily') }} as sku_days on sku_days.date = periods.period_end
    group by periods.period_start
),

shop_periods as (
    select periods.period_start, periods.period_end, shops.shop_code as shop_code, shops.platform as platform
    from periods
    cross join shops
    inner join {{ ref('dim_shops') }} as activity
        on activity.shop_code = shops.shop_code
        and periods.period_end >= activity.first_activity_date
        and periods.period_start <= activity.last_activity_date
)

select
    shop_periods.period_start as period_start,
    shop_periods.period_end as period_end,
    shop_periods.platform as platform,
    shop_periods.shop_code as shop_code,
    shop_periods.shop_code = '{{ var("seller_wide_shop_code") }}' as is_seller_wide,
    coalesce(sold_trailing_30d.skus_sold_trailing_30d, 0) as skus_sold_trailing_30d,
    catalogue.skus_on_sale_or_in_stock as skus_on_sale_or_in_stock,
    {{ safe_divide('coalesce(sold_trailing_30d.skus_sold_trailing_30d, 0)', 'catalogue.skus_on_sale_or_in_stock') }}
        as sell_through_breadth,
    coalesce(hit_products.paid_amount, 0) as paid_amount,
    coalesce(hit_products.top_skus_paid_amount, 0) as top_skus_paid_amount,
    {{ safe_divide('hit_products.top_skus_paid_amount', 'hit_products.paid_amount') }} as hit_product_share,
    catalogue.new_skus as new_skus,
    catalogue.skus_on_sale as skus_on_sale,
    {{ safe_divide('catalogue.new_skus', 'catalogue.skus_on_sale') }} as new_sku_share,
    sell_out.cumulative_units_sold as cumulative_units_sold,
    sell_out.cumulative_units_received as cumulative_units_received,
    {{ safe_divide('sell_out.cumulative_units_sold', 'sell_out.cumulative_units_received') }} as sell_out_rate,
    current_timestamp as _built_at
from shop_periods
left join catalogue on catalogue.period_start = shop_periods.period_start
left join sell_out on sell_out.period_start = shop_periods.period_start
left join sold_trailing_30d
    on sold_trailing_30d.period_start = shop_periods.period_start and sold_trailing_30d.shop_code = shop_periods.shop_code
left join hit_products
    on hit_products.period_start = shop_periods.period_start and hit_products.shop_code = shop_periods.shop_code
