{#
  ERP ledgers without a line id (expenses, budgets): for each key the latest
  file that has it is the truth, and its rows for that key are summed.
#}
{% macro sum_from_latest_file(relation, key_columns, amount_column) -%}
with rows_with_latest_file as (
    select
        {{ key_columns | join(', ') }},
        {{ amount_column }},
        _source_file,
        first_value(_source_file) over (
            partition by {{ key_columns | join(', ') }}
            order by _file_mtime desc, _source_file desc
        ) as latest_file
    from {{ relation }}
)

select
    {{ key_columns | join(', ') }},
    sum({{ amount_column }}) as {{ amount_column }}
from rows_with_latest_file
where _source_file = latest_file
group by {{ key_columns | join(', ') }}
{%- endmacro %}
