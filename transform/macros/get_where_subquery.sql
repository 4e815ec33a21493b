{#
  What a data test reads of the model it tests. A model with `meta: {data_tests_read: latest_build}` in
  its config is tested on the rows its latest build wrote: `_built_at` is that build's current_timestamp
  on every row it inserts. That holds for the delete+insert incremental models: a build replaces every
  row of each key it rebuilds, and the rows it leaves passed these tests when they were written; a full
  build writes every row with one `_built_at`, so there the tests read everything. A one-day run then
  tests one day's rows, not the whole history. A test's own `where` applies on top, as in dbt's macro.
#}
{% macro get_where_subquery(relation) -%}
    {%- set tested = graph.nodes.get(model.attached_node) if model.attached_node else none -%}
    {%- if tested is none or tested.config.meta.get('data_tests_read') != 'latest_build' -%}
        {%- do return(adapter.dispatch('get_where_subquery', 'dbt')(relation)) -%}
    {%- endif -%}
    {%- set where = config.get('where', '') -%}
    {%- set filtered -%}
        (select * from {{ relation }}
         where _built_at = (select max(_built_at) from {{ relation }}){% if where %} and ({{ where }}){% endif %}) as latest_build
    {%- endset -%}
    {%- do return(filtered) -%}
{%- endmacro %}
