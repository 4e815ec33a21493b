{#-
  ERP 运营费用 per date, shop and account. The file has no line id: for each key the
  latest file that has it is the truth, and its rows for that key are summed.
-#}
with rows_with_latest_file as (
    select
        expense_date,
        shop_code,
        account,
        amount,
        _source_file,
        first_value(_source_file) over (
            partition by expense_date, shop_code, account
            order by _file_mtime desc, _source_file desc
        ) as latest_file
    from {{ source('raw', 'erp_expenses') }}
)

select
    expense_date,
    shop_code,
    account,
    sum(amount) as amount
from rows_with_latest_file
where _source_file = latest_file
group by expense_date, shop_code, account
