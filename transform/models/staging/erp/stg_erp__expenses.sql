{{ sum_from_latest_file(source('raw', 'erp_expenses'), ['expense_date', 'shop_code', 'account'], 'amount') }}
