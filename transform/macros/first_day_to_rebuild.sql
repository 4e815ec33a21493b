{#
  For the models incremental by day (the inventory models): a run deletes and rebuilds every row from the
  first day to rebuild on. `first_day_to_rebuild` is that day, as a query of one row (`first_date`): the
  earliest day, in `inputs` ((relation, date column) pairs), of a row loaded since the model's last build,
  or the day after the last day built (`built_day_column` of the model), whichever is first; on a full build
  the earliest day of any input. A min over `case`, not over a `where`: ClickHouse's min of no rows is
  1970-01-01, of only nulls null. `newest_load` is the newest `_last_load_id` of `relations`: every rebuilt
  row carries it, as the next run's mark.
#}
{% macro first_day_to_rebuild(inputs, built_day_column=none) -%}
    select min(first_date) as first_date
    from (
        {%- for relation, date_column in inputs %}
        {%- if is_incremental() %}
        select min(case when {{ loaded_after_last_build() }} then {{ date_column }} end) as first_date from {{ relation }}
        {%- else %}
        select min({{ date_column }}) as first_date from {{ relation }}
        {%- endif %}
        {%- if not loop.last %}
        union all
        {%- endif %}
        {%- endfor %}
        {%- if is_incremental() and built_day_column %}
        union all
        select cast({{ dbt.dateadd('day', 1, 'max(' ~ built_day_column ~ ')') }} as date) from {{ this }}
        {%- endif %}
    ) as starts
{%- endmacro %}

{% macro newest_load(relations) -%}
    select max(load_id) as load_id
    from (
        {%- for relation in relations %}
        select max(_last_load_id) as load_id from {{ relation }}
        {%- if not loop.last %}
        union all
        {%- endif %}
        {%- endfor %}
    ) as loads
{%- endmacro %}
