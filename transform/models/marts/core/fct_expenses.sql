{#- ERP operating expenses (运营费用) per day, shop and account (科目). -#}
select
    expenses.expense_date,
    shops.platform,
    expenses.shop_code,
    expenses.account,
    expenses.amount
from {{ ref('stg_erp__expenses') }} as expenses
left join {{ ref('stg_landing__shops') }} as shops on shops.shop_code = expenses.shop_code
