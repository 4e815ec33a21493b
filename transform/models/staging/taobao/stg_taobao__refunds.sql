{#- Taobao (千牛 exports, shared with Tmall) refunds / after-sales cases: one row per case in its latest exported state. -#}
{{ config(materialized='incremental', unique_key='refund_key') }}

with export_rows as (
    {#- an incremental run re-ranks all versions of every refund_id with a row loaded since the model's last build #}
    select * from {{ source('raw', 'taobao_refunds') }}
    {%- if is_incremental() %}
    where refund_id in (
        select refund_id from {{ source('raw', 'taobao_refunds') }} where {{ loaded_after_last_build('_dlt_load_id') }}
    )
    {%- endif %}
),

refund_vocabulary as (
    select vocabulary.raw_status, vocabulary.canonical_status, statuses.progress_rank
    from {{ ref('refund_status_vocabulary') }} as vocabulary
    left join {{ ref('refund_statuses') }} as statuses on statuses.refund_status = vocabulary.canonical_status
    where vocabulary.platform = 'taobao'
),

refund_type_vocabulary as (
    select raw_refund_type, canonical_refund_type
    from {{ ref('refund_type_vocabulary') }}
    where platform = 'taobao'
),

refund_versions as (
    select
        export_rows.*,
        coalesce(refund_vocabulary.canonical_status, 'unknown') as canonical_status,
        coalesce(refund_vocabulary.progress_rank, 0) as status_progress,
        case
            when export_rows.refund_type is not null then coalesce(refund_type_vocabulary.canonical_refund_type, 'unknown')
        end as canonical_refund_type
    from export_rows
    left join refund_vocabulary on refund_vocabulary.raw_status = export_rows.refund_status
    left join refund_type_vocabulary on refund_type_vocabulary.raw_refund_type = export_rows.refund_type
),

latest as (
    {{ latest_version('refund_versions', ['refund_id'], 'coalesce(refunded_at, requested_at) desc nulls last, status_progress desc') }}
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
