{#-
  Monthly P&L per shop down to contribution profit, with the month's budget
  attainment over all budgeted accounts (per account: kpi_budget_monthly).
-#}
{{ config(materialized='incremental', unique_key='month_start', tags=['daily']) }}

with daily as (
    select
        cast({{ dbt.date_trunc('month', 'date') }} as date) as month_start,
        platform,
        shop_code,
        sum(gmv) as gmv,
        sum(paid_amount) as paid_amount,
        sum(refund_amount) as refund_amount,
        sum(net_sales) as net_sales,
        sum(cogs) as cogs,
        sum(cogs_reversed) as cogs_reversed,
        sum(gross_profit) as gross_profit,
        sum(platform_fees) as platform_fees,
        sum(ad_spend) as ad_spend,
        sum(attributed_gmv) as attributed_gmv,
        sum(expenses) as expenses,
        sum(contribution_profit) as contribution_profit
    from {{ ref('kpi_shop_daily') }}
    where {{ in_rebuild_window('date', 'month_start', 'month') }}
    group by 1, 2, 3
),

budgets as (
    select
        month_start,
        shop_code,
        sum(budget_amount) as budget_amount,
        sum(case when budget_amount is not null then actual_amount end) as budgeted_actual_amount
    from {{ ref('kpi_budget_monthly') }}
    group by month_start, shop_code
)

select
    daily.month_start,
    daily.platform,
    daily.shop_code,
    daily.gmv,
    daily.paid_amount,
    daily.refund_amount,
    daily.net_sales,
    daily.cogs,
    daily.cogs_reversed,
    daily.gross_profit,
    {{ safe_divide('daily.gross_profit', 'daily.net_sales') }} as gross_margin,
    daily.platform_fees,
    daily.ad_spend,
    {{ safe_divide('daily.attributed_gmv', 'daily.ad_spend') }} as roas,
    daily.expenses,
    daily.contribution_profit,
    {{ safe_divide('daily.contribution_profit', 'daily.net_sales') }} as contribution_margin,
    budgets.budget_amount,
    budgets.budgeted_actual_amount,
    {{ safe_divide('budgets.budgeted_actual_amount', 'budgets.budget_amount') }} as budget_attainment,
    current_timestamp as _built_at
from daily
left join budgets on budgets.month_start = daily.month_start and budgets.shop_code = daily.shop_code
