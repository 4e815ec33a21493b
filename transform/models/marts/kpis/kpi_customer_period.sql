{#-
  Customer KPIs per shop and calendar month (a customer is a salted buyer of
  the shop). Period metrics count the month's paying buyers; active and churn
  look back from the period end (a running month ends at the last day of data).
-#}
with periods as (
    select month_start as period_start, max(date_day) as period_end
    from {{ ref('dim_dates') }}
    group by month_start
),

shop_periods as (
    select periods.period_start, periods.period_end, shops.platform, shops.shop_code
    from periods
    inner join {{ ref('dim_shops') }} as shops
        on periods.period_end >= shops.first_activity_date
        and periods.period_start <= shops.last_activity_date
    where not shops.is_seller_wide
),

{#- A buyer's paying days, each with the buyer's paying days before and after it. From one paying day to
    the next, that day is the buyer's last: so each count below is a sum over days, never a scan of a
    buyer's whole history for every month. -#}
paid_days as (
    select
        shop_code,
        customer_key,
        paid_date,
        {{ lag_or_null('paid_date') }} over (partition by shop_code, customer_key order by paid_date) as previous_paid_date,
        {{ lead_or_null('paid_date') }} over (partition by shop_code, customer_key order by paid_date) as next_paid_date
    from (
        select distinct shop_code, customer_key, paid_date
        from {{ ref('fct_orders') }}
        where is_paid and customer_key is not null
    ) as buyer_days
),

{#- a buyer's first paying day in the period: they pay again in the period if their next day is in it too -#}
period_buyer_counts as (
    select
        shop_periods.period_start as period_start,
        shop_periods.shop_code as shop_code,
        count(*) as paying_buyers,
        sum(case when paid_days.next_paid_date <= shop_periods.period_end then 1 else 0 end) as repeat_buyers
    from shop_periods
    inner join paid_days
        on paid_days.shop_code = shop_periods.shop_code
        and paid_days.paid_date between shop_periods.period_start and shop_periods.period_end
    where paid_days.previous_paid_date is null or paid_days.previous_paid_date < shop_periods.period_start
    group by shop_periods.period_start, shop_periods.shop_code
),

{#- first-time buyers of the period and whether they bought again (another day) within 30/90/180 days -#}
first_time_counts as (
    select
        shop_periods.period_start as period_start,
        shop_periods.shop_code as shop_code,
        count(*) as new_buyers,
        sum(case when paid_days.next_paid_date <= {{ dbt.dateadd('day', 30, 'customers.first_paid_date') }} then 1 else 0 end) as new_buyers_repurchased_30d,
        sum(case when paid_days.next_paid_date <= {{ dbt.dateadd('day', 90, 'customers.first_paid_date') }} then 1 else 0 end) as new_buyers_repurchased_90d,
        sum(case when paid_days.next_paid_date <= {{ dbt.dateadd('day', 180, 'customers.first_paid_date') }} then 1 else 0 end) as new_buyers_repurchased_180d
    from shop_periods
    inner join {{ ref('dim_customers') }} as customers
        on customers.shop_code = shop_periods.shop_code
        and customers.first_paid_date between shop_periods.period_start and shop_periods.period_end
    left join paid_days
        on paid_days.customer_key = customers.customer_key
        and paid_days.paid_date = customers.first_paid_date
    group by shop_periods.period_start, shop_periods.shop_code
),

{#- at a period's end every buyer who ever paid has exactly one last paying day: the one whose span holds it -#}
base_counts as (
    select
        shop_periods.period_start as period_start,
        shop_periods.shop_code as shop_code,
        count(*) as customers_ever_paid,
        sum(case when paid_days.paid_date > {{ dbt.dateadd('day', -90, 'shop_periods.period_end') }} then 1 else 0 end) as active_customers,
        sum(case when paid_days.paid_date < {{ dbt.dateadd('day', -180, 'shop_periods.period_end') }} then 1 else 0 end) as churned_customers
    from shop_periods
    inner join paid_days
        on paid_days.shop_code = shop_periods.shop_code
        and paid_days.paid_date <= shop_periods.period_end
        and (paid_days.next_paid_date is null or paid_days.next_paid_date > shop_periods.period_end)
    group by shop_periods.period_start, shop_periods.shop_code
)

select
    shop_periods.period_start as period_start,
    shop_periods.period_end as period_end,
    shop_periods.platform as platform,
    shop_periods.shop_code as shop_code,
    coalesce(period_buyer_counts.paying_buyers, 0) as paying_buyers,
    coalesce(first_time_counts.new_buyers, 0) as new_buyers,
    {{ safe_divide('first_time_counts.new_buyers', 'period_buyer_counts.paying_buyers') }} as new_buyer_rate,
    coalesce(period_buyer_counts.repeat_buyers, 0) as repeat_buyers,
    {{ safe_divide('period_buyer_counts.repeat_buyers', 'period_buyer_counts.paying_buyers') }} as repurchase_rate,
    coalesce(first_time_counts.new_buyers_repurchased_30d, 0) as new_buyers_repurchased_30d,
    coalesce(first_time_counts.new_buyers_repurchased_90d, 0) as new_buyers_repurchased_90d,
    coalesce(first_time_counts.new_buyers_repurchased_180d, 0) as new_buyers_repurchased_180d,
    {{ safe_divide('first_time_counts.new_buyers_repurchased_30d', 'first_time_counts.new_buyers') }} as repurchase_rate_30d,
    {{ safe_divide('first_time_counts.new_buyers_repurchased_90d', 'first_time_counts.new_buyers') }} as repurchase_rate_90d,
    {{ safe_divide('first_time_counts.new_buyers_repurchased_180d', 'first_time_counts.new_buyers') }} as repurchase_rate_180d,
    coalesce(base_counts.customers_ever_paid, 0) as customers_ever_paid,
    coalesce(base_counts.active_customers, 0) as active_customers,
    {{ safe_divide('base_counts.active_customers', 'base_counts.customers_ever_paid') }} as active_rate,
    coalesce(base_counts.churned_customers, 0) as churned_customers,
    {{ safe_divide('base_counts.churned_customers', 'base_counts.customers_ever_paid') }} as churn_rate
from shop_periods
left join period_buyer_counts
    on period_buyer_counts.period_start = shop_periods.period_start and period_buyer_counts.shop_code = shop_periods.shop_code
left join first_time_counts
    on first_time_counts.period_start = shop_periods.period_start and first_time_counts.shop_code = shop_periods.shop_code
left join base_counts
    on base_counts.period_start = shop_periods.period_start and base_counts.shop_code = shop_periods.shop_code
