{#
  The latest state of each order (key_column 'order_id') or order line ('line_id') of one platform, exported
  or synced from its API (raw_versions.sql), with every raw column plus:
    order_status       canonical status (seed order_status_vocabulary; `unknown` when it lists no match)
    line_refund_state  canonical after-sales status of the line (seed refund_status_vocabulary)
    payment_time       the row's payment time; for an export that has none (seed order_exports), the
                       creation time of every order in a paid status (seed order_statuses)
    status_progress, version_rank, _last_load_id   (latest_version.sql)
  A closing raw status means cancelled, or closed after payment (when_paid yes/no): the evidence of a
  payment is the payment time, else a succeeded refund on the order. A raw status whose meaning rides on
  the order's refund status (PDD's API keeps 1 on a closed order) is listed with_refund_status. An incremental run re-ranks all
  versions of every key with a row loaded since the model's last build (loaded_after_last_build.sql).
#}
{% macro latest_order_versions(platform, key_column) -%}
    with export_rows as (
        {{ raw_versions(platform, 'orders', key_column) }}
    ),

    export_traits as (
        select exports_payment_time from {{ ref('order_exports') }} where platform = '{{ platform }}'
    ),

    order_vocabulary as (
        select vocabulary.raw_status, vocabulary.when_paid, vocabulary.with_refund_status, vocabulary.canonical_status,
            statuses.progress_rank, statuses.implies_payment
        from {{ ref('order_status_vocabulary') }} as vocabulary
        left join {{ ref('order_statuses') }} as statuses on statuses.order_status = vocabulary.canonical_status
        where vocabulary.platform = '{{ platform }}'
    ),

    refund_vocabulary as (
        select raw_status, canonical_status
        from {{ ref('refund_status_vocabulary') }}
        where platform = '{{ platform }}'
    ),

    order_versions as (
        select
            export_rows.*,
            case
                when export_rows.refund_status is not null and refund_vocabulary.raw_status is null then 'unknown'
                else refund_vocabulary.canonical_status  -- null: no after-sales (also an API's "none" code)
            end as line_refund_state,
            coalesce(order_vocabulary.canonical_status, 'unknown') as order_status,
            coalesce(order_vocabulary.progress_rank, 0) as status_progress,
            case
                when coalesce(export_rows._payment_time_given, export_traits.exports_payment_time, true) then export_rows.paid_at
                when not order_vocabulary.implies_payment then null
                else export_rows.created_at
            end as payment_time
        from export_rows
        left join export_traits on true
        left join refund_vocabulary on refund_vocabulary.raw_status = export_rows.refund_status
        left join order_vocabulary
            on order_vocabulary.raw_status = export_rows.status
            and (order_vocabulary.with_refund_status is null or order_vocabulary.with_refund_status = export_rows.refund_status)
            and order_vocabulary.when_paid in ('any', case
                when coalesce(export_rows._payment_time_given, export_traits.exports_payment_time, true) then
                    case when export_rows.paid_at is not null then 'yes' else 'no' end
                when refund_vocabulary.canonical_status = 'succeeded' then 'yes'
                else 'no'
            end)
    )

    {{ latest_version('order_versions', [key_column], 'coalesce(completed_at, shipped_at, payment_time, created_at) desc nulls last, status_progress desc') }}
{%- endmacro %}
