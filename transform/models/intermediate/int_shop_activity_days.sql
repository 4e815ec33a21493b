{#-
  Every day on which a shop shows activity in any source: what the per-shop date spine spans.
  Built from intermediate and staging models only (the same days the facts hold), so the
  dimensions that read it never wait on a fact.
-#}
with traffic as (
    {{ union_platforms('traffic_shop') }}
),

ads as (
    {{ union_platforms('ads') }}
),

bill as (
    {{ union_platforms('settlement') }}
)

select distinct shop_code, activity_date
from (
    select shop_code, created_date as activity_date from {{ ref('int_orders') }}
    union all
    select shop_code, paid_date from {{ ref('int_orders') }}
    union all
    select shop_code, refund_date from {{ ref('int_refunds') }}
    union all
    select shop_code, stat_date from traffic
    union all
    select shop_code, stat_date from ads
    union all
    select shop_code, booked_date from bill
    union all
    select shop_code, expense_date from {{ ref('stg_erp__expenses') }}
) as activity
where activity_date is not null and shop_code is not null
