{{ sum_from_latest_file(source('raw', 'erp_budgets'), ['month', 'shop_code', 'account'], 'budget_amount') }}
