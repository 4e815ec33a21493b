{#-
  RFM per customer of a shop, as of the last day of data, over the trailing
  365 days excluding fully refunded orders: R = days since the last paid
  order, F = paid orders, M = net paid amount. Scores are quintiles within the
  shop (5 = most recent / most frequent / most spent), by rank: customers level
  on a measure share its score, whatever their keys; the 8-segment label
  splits each of R, F, M at the shop's median.
-#}
with as_of as (
    select max(date_day) as as_of_date from {{ ref('dim_dates') }}
),

orders as (
    select orders.*
    from {{ ref('fct_orders') }} as orders
    cross join as_of
    where orders.is_paid
        and not orders.is_fully_refunded
        and orders.customer_key is not null
        and orders.paid_date > {{ dbt.dateadd('day', -365, 'as_of.as_of_date') }}
        and orders.paid_date <= as_of.as_of_date
),

rfm as (
    select
        orders.customer_key,
        orders.platform,
        orders.shop_code,
        as_of.as_of_date,
        max(orders.paid_date) as last_paid_date,
        {{ dbt.datediff('max(orders.paid_date)', 'as_of.as_of_date', 'day') }} as recency_days,
        count(*) as frequency,
        sum(orders.paid_amount - orders.refunded_amount) as monetary
    from orders
    cross join as_of
    group by orders.customer_key, orders.platform, orders.shop_code, as_of.as_of_date
),

medians as (
    select
        shop_code,
        {{ median_continuous('recency_days') }} as median_recency_days,
        {{ median_continuous('frequency') }} as median_frequency,
        {{ median_continuous('monetary') }} as median_monetary
    from rfm
    group by shop_code
),

scored as (
    select
        rfm.*,
        {{ tied_quintile('rfm.shop_code', 'rfm.recency_days desc') }} as r_score,
        {{ tied_quintile('rfm.shop_code', 'rfm.frequency') }} as f_score,
        {{ tied_quintile('rfm.shop_code', 'rfm.monetary') }} as m_score,
        rfm.recency_days < medians.median_recency_days as is_recent,
        rfm.frequency > medians.median_frequency as is_frequent,
        rfm.monetary > medians.median_monetary as is_high_value
    from rfm
    inner join medians on medians.shop_code = rfm.shop_code
)

select
    customer_key,
    platform,
    shop_code,
    as_of_date,
    last_paid_date,
    recency_days,
    frequency,
    monetary,
    r_score,
    f_score,
    m_score,
    case
        when is_high_value and is_recent and is_frequent then '重要价值'
        when is_high_value and is_recent then '重要发展'
        when is_high_value and is_frequent then '重要保持'
        when is_high_value then '重要挽留'
        when is_recent and is_frequent then '一般价值'
        when is_recent then '一般发展'
        when is_frequent then '一般保持'
        else '一般挽留'
    end as rfm_segment
from scored
