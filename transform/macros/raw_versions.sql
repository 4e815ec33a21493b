{#
  Every raw version of one platform's records of `kind` (orders, refunds) as one relation: the export
  table's rows and the platform-API table's (platform sync), so an order that arrives both ways is one
  key whose latest state wins (latest_version.sql). Both give the canonical columns (var raw_columns,
  ingestion/mappings/kinds.yaml) and the lineage latest_version ranks by; an API row's is its call:
    _source_file  'api:' and the API method      _source_row  the page
    _file_mtime   the platform's modified time   _dlt_load_id the sync's load
  _payment_time_given is true for API rows (every open platform's order API names the payment time),
  null for export rows (seed order_exports says per platform). A column in `filled` that a version
  leaves empty takes the value another version of the same key names (JD's refund-apply API names no
  item and no refund type; its export does). An incremental run reads every version of each
  `key_column` with a row of either table loaded since the model's last build.
#}
{% macro raw_versions(platform, kind, key_column, filled=[]) -%}
    {%- set export = source('raw', platform ~ '_' ~ kind) -%}
    {%- set api = source('raw', platform ~ '_api_' ~ kind) -%}
    {%- set canonical = ['platform', 'shop_code'] + var('raw_columns')[kind] -%}
    {%- set changed -%}
        {{ key_column }} in (
            select {{ key_column }} from {{ export }} where {{ loaded_after_last_build('_dlt_load_id') }}
            union distinct
            select {{ key_column }} from {{ api }} where {{ loaded_after_last_build('_dlt_load_id') }}
        )
    {%- endset -%}
    select
        {%- for column in canonical %}
        {% if column in filled -%}
        coalesce({{ column }}, max({{ column }}) over (partition by {{ key_column }})) as {{ column }}
        {%- else -%}
        {{ column }}
        {%- endif %},
        {%- endfor %}
        _source_file, _source_row, _file_mtime, _dlt_load_id, _payment_time_given
    from (
        select {{ canonical | join(', ') }}, _source_file, _source_row, _file_mtime, _dlt_load_id,
            cast(null as boolean) as _payment_time_given
        from {{ export }}
        {%- if is_incremental() %}
        where {{ changed }}
        {%- endif %}
        union all
        select {{ canonical | join(', ') }}, 'api:' || _api_method as _source_file, _page as _source_row,
            modified_at as _file_mtime, _dlt_load_id, true as _payment_time_given
        from {{ api }}
        {%- if is_incremental() %}
        where {{ changed }}
        {%- endif %}
    ) as versions
{%- endmacro %}
