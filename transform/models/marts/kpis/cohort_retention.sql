{#-
  留存: for each shop and first-purchase month (cohort), the share of the
  cohort buying again in month k after it (k = 0 is the cohort month itself),
  for every k up to the last month of data.
-#}
with customer_months as (
    select distinct
        orders.shop_code as shop_code,
        orders.customer_key as customer_key,
        cast({{ dbt.date_trunc('month', 'orders.paid_date') }} as date) as activity_month
    from {{ ref('fct_orders') }} as orders
    where orders.is_paid and orders.customer_key is not null
),

cohorts as (
    select
        customer_key,
        shop_code,
        cast({{ dbt.date_trunc('month', 'first_paid_date') }} as date) as cohort_month
    from {{ ref('dim_customers') }}
    where first_paid_date is not null
),

cohort_sizes as (
    select shop_code, cohort_month, count(*) as cohort_size
    from cohorts
    group by shop_code, cohort_month
),

months as (
    select distinct month_start from {{ ref('dim_dates') }}
),

cohort_months as (
    select
        cohort_sizes.shop_code as shop_code,
        cohort_sizes.cohort_month as cohort_month,
        cohort_sizes.cohort_size as cohort_size,
        months.month_start as activity_month,
        {{ dbt.datediff('cohort_sizes.cohort_month', 'months.month_start', 'month') }} as months_since_first_purchase
    from cohort_sizes
    inner join months on months.month_start >= cohort_sizes.cohort_month
),

retained as (
    select
        cohorts.shop_code as shop_code,
        cohorts.cohort_month as cohort_month,
        customer_months.activity_month as activity_month,
        count(*) as retained_buyers
    from cohorts
    inner join customer_months
        on customer_months.customer_key = cohorts.customer_key
        and customer_months.activity_month >= cohorts.cohort_month
    group by cohorts.shop_code, cohorts.cohort_month, customer_months.activity_month
)

select
    shops.platform as platform,
    cohort_months.shop_code as shop_code,
    cohort_months.cohort_month as cohort_month,
    cohort_months.months_since_first_purchase as months_since_first_purchase,
    cohort_months.activity_month as activity_month,
    cohort_months.cohort_size as cohort_size,
    coalesce(retained.retained_buyers, 0) as retained_buyers,
    {{ safe_divide('coalesce(retained.retained_buyers, 0)', 'cohort_months.cohort_size') }} as retention_rate
from cohort_months
inner join {{ ref('dim_shops') }} as shops on shops.shop_code = cohort_months.shop_code
left join retained
    on retained.shop_code = cohort_months.shop_code
    and retained.cohort_month = cohort_months.cohort_month
    and retained.activity_month = cohort_months.activity_month
