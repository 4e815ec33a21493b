{#
  The raw rows to rank: on an incremental run, every version of the keys with a
  row loaded after the newest load already built. All their versions, so the
  latest one is chosen as in a full build; filtered before the ranking window.
#}
{% macro versions_to_rank(relation, key_column) -%}
select * from {{ relation }}
{%- if is_incremental() %}
where {{ key_column }} in (
    select {{ key_column }}
    from {{ relation }}
    where {{ loaded_after_last_build('_dlt_load_id') }}
)
{%- endif %}
{%- endmacro %}
