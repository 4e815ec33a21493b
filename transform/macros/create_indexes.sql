{#
  On Postgres an incremental model's rebuild looks rows up by its unique key (dbt's delete+insert deletes the
  keys it rebuilds), by `_last_load_id` (the mark: max(_last_load_id), loaded_after_last_build.sql) and by
  `_built_at` (data tests of the latest build, get_where_subquery.sql). Without an index each of these reads
  the whole table, so a one-day run costs as much as its history. So every incremental model gets a b-tree
  index on each of those it has, besides any `indexes` it configures, when dbt creates its table (the first
  build or a --full-refresh). DuckDB needs none: its min-max zone maps skip what a filter excludes, and an
  index would slow every insert.
#}
{% macro postgres__create_indexes(relation) -%}
    {{ dbt.default__create_indexes(relation) }}
    {%- if config.get('materialized') == 'incremental' %}
        {%- set unique_key = config.get('unique_key') -%}
        {%- set lookups = [[unique_key] if unique_key is string else unique_key, ['_last_load_id'], ['_built_at']] -%}
        {%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name') | list -%}
        {%- for lookup in lookups if lookup and lookup | reject('in', columns) | list | length == 0 %}
            {% do run_query(get_create_index_sql(relation, {'columns': lookup})) %}
        {%- endfor %}
    {%- endif %}
{%- endmacro %}
