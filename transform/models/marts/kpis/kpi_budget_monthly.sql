{#- 预算执行率 per month, shop and account (科目): actual ERP expenses ÷ budget. -#}
with budgets as (
    select
        cast(month || '-01' as date) as month_start,
        shop_code,
        account,
        budget_amount
    from {{ ref('stg_erp__budgets') }}
),

actuals as (
    select
        cast({{ dbt.date_trunc('month', 'expense_date') }} as date) as month_start,
        shop_code,
        account,
        sum(amount) as actual_amount
    from {{ ref('fct_expenses') }}
    group by 1, 2, 3
),

accounts as (
    select month_start, shop_code, account from budgets
    union distinct
    select month_start, shop_code, account from actuals
)

select
    accounts.month_start as month_start,
    shops.platform as platform,
    accounts.shop_code as shop_code,
    accounts.account as account,
    coalesce(actuals.actual_amount, 0) as actual_amount,
    budgets.budget_amount as budget_amount,
    {{ safe_divide('coalesce(actuals.actual_amount, 0)', 'budgets.budget_amount') }} as budget_attainment
from accounts
left join {{ ref('dim_shops') }} as shops on shops.shop_code = accounts.shop_code
left join budgets
    on budgets.month_start = accounts.month_start and budgets.shop_code = accounts.shop_code and budgets.account = accounts.account
left join actuals
    on actuals.month_start = accounts.month_start and actuals.shop_code = accounts.shop_code and actuals.account = accounts.account
