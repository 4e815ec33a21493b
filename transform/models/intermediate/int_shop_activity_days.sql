{#- Every day on which a shop shows activity in any source: what the per-shop date spine spans. -#}
select distinct shop_code, activity_date
from (
    select shop_code, created_date as activity_date from {{ ref('int_orders') }}
    union all
    select shop_code, paid_date from {{ ref('int_orders') }}
    union all
    select shop_code, refund_date from {{ ref('int_refunds') }}
    union all
    select shop_code, stat_date from {{ ref('fct_traffic_daily') }}
    union all
    select shop_code, stat_date from {{ ref('fct_ads_daily') }}
    union all
    select shop_code, booked_date from {{ ref('fct_settlement') }}
    union all
    select shop_code, expense_date from {{ ref('stg_erp__expenses') }}
) as activity
where activity_date is not null and shop_code is not null
