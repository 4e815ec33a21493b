{#
  The latest state of each refund / after-sales case of one platform, exported or synced from its API
  (raw_versions.sql), with
  every raw column plus canonical_status (seed refund_status_vocabulary), canonical_refund_type (seed
  refund_type_vocabulary; `unknown` for values the seeds do not list) and status_progress,
  version_rank, _last_load_id (latest_version.sql). Ranked by refund, else request time, then status
  progress. An incremental run re-ranks all versions of every refund_id with a row loaded since the
  model's last build.
#}
{% macro latest_refund_versions(platform) -%}
    with export_rows as (
        {{ raw_versions(platform, 'refunds', 'refund_id', filled=['line_id', 'refund_type']) }}
    ),

    refund_vocabulary as (
        select vocabulary.raw_status, vocabulary.canonical_status, statuses.progress_rank
        from {{ ref('refund_status_vocabulary') }} as vocabulary
        left join {{ ref('refund_statuses') }} as statuses on statuses.refund_status = vocabulary.canonical_status
        where vocabulary.platform = '{{ platform }}'
    ),

    refund_type_vocabulary as (
        select raw_refund_type, canonical_refund_type
        from {{ ref('refund_type_vocabulary') }}
        where platform = '{{ platform }}'
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
    )

    {{ latest_version('refund_versions', ['refund_id'], 'coalesce(refunded_at, requested_at) desc nulls last, status_progress desc') }}
{%- endmacro %}
