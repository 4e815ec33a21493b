{# stg_<platform>__refunds: the latest state of each refund / after-sales case, one SQL body for every platform. #}
{% macro stage_refunds(platform) -%}
{{ incremental_by_key('refund_key') }}
with export_rows as (
    {{ versions_to_rank(source('raw', platform ~ '_refunds'), 'refund_id') }}
),

refund_statuses as (
    select raw_status, canonical_status
    from {{ ref('refund_status_vocabulary') }}
    where platform = '{{ platform }}'
),

refund_types as (
    select raw_refund_type, canonical_refund_type
    from {{ ref('refund_type_vocabulary') }}
    where platform = '{{ platform }}'
),

refund_versions as (
    select
        export_rows.*,
        coalesce(refund_statuses.canonical_status, 'unknown') as canonical_status,
        case
            when export_rows.refund_type is null then null
            else coalesce(refund_types.canonical_refund_type, 'unknown')
        end as canonical_refund_type
    from export_rows
    left join refund_statuses on refund_statuses.raw_status = export_rows.refund_status
    left join refund_types on refund_types.raw_refund_type = export_rows.refund_type
),

latest as (
    {{ latest_version(
        'refund_versions',
        ['refund_id'],
        'coalesce(refunded_at, requested_at) desc nulls last, ' ~ refund_status_rank('canonical_status') ~ ' desc'
    ) }}
),

shops as (
    select shop_code, timezone from {{ ref('stg_landing__shops') }}
)

select
    latest.platform || ':' || latest.refund_id as refund_key,
    latest.platform || ':' || latest.order_id as order_key,
    latest.platform || ':' || latest.line_id as line_key,
    latest.platform,
    latest.shop_code,
    latest.refund_id,
    latest.order_id,
    latest.line_id,
    latest.refund_amount,
    latest.requested_at,
    latest.refunded_at,
    {{ local_date('latest.requested_at', 'shops.timezone') }} as requested_date,
    {{ local_date('latest.refunded_at', 'shops.timezone') }} as refunded_date,
    latest.refund_status as raw_status,
    latest.canonical_status as refund_status,
    latest.refund_type as raw_refund_type,
    latest.canonical_refund_type as refund_type,
    latest.reason,
    latest._source_file,
    latest._file_mtime,
    latest._last_load_id
from latest
left join shops on shops.shop_code = latest.shop_code
{%- endmacro %}
