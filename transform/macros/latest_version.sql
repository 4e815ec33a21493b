{#
  Raw keeps every exported version of a record; this selects the latest one per key
  (one row per key, every column of `relation` plus version_rank and _last_load_id):
  by the record's own state ordering when it has one (status progression, event times),
  then by the export file's modification time, then file name and row.
  _last_load_id is the newest dlt load among the key's versions.
#}
{% macro latest_version(relation, key_columns, state_order=none) -%}
select *
from (
    select
        versions.*,
        row_number() over (
            partition by {{ key_columns | join(', ') }}
            order by {% if state_order %}{{ state_order }}, {% endif %}_file_mtime desc, _source_file desc, _source_row desc
        ) as version_rank,
        max(_dlt_load_id) over (partition by {{ key_columns | join(', ') }}) as _last_load_id
    from {{ relation }} as versions
) as ranked
where version_rank = 1
{%- endmacro %}
