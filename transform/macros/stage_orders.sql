{#
  One SQL body for every platform's order export: Taobao and Tmall share the
  千牛 format, and JD, PDD and Douyin differ only in what the ingestion mapping
  already normalised and in how payment shows (order_payment_shape).
#}

{#
  payment_evidence: what tells a closed order was paid before it closed
    (订单付款时间 / 付款确认时间 / 支付完成时间; PDD: 售后状态 退款成功).
  paid_at: the payment time. PDD exports none: its 订单成交时间 (raw created_at)
    is the payment time of every order except 待支付 and a never-paid 已取消.
#}
{% macro order_payment_shape(platform) -%}
    {%- if platform == 'pdd' -%}
        {{ return({
            'payment_evidence': "line_refund_state = 'succeeded'",
            'paid_at': "case when order_status in ('pending_payment', 'cancelled') then null else created_at end",
        }) }}
    {%- else -%}
        {{ return({'payment_evidence': 'paid_at is not null', 'paid_at': 'paid_at'}) }}
    {%- endif -%}
{%- endmacro %}

{% macro order_export_versions(platform, key_column) -%}
{%- set shape = order_payment_shape(platform) -%}
export_rows as (
    {{ versions_to_rank(source('raw', platform ~ '_orders'), key_column) }}
),

order_statuses as (
    select raw_status, when_paid, canonical_status
    from {{ ref('order_status_vocabulary') }}
    where platform = '{{ platform }}'
),

refund_statuses as (
    select raw_status, canonical_status
    from {{ ref('refund_status_vocabulary') }}
    where platform = '{{ platform }}'
),

with_refund_state as (
    select
        export_rows.*,
        case
            when export_rows.refund_status is null then null
            else coalesce(refund_statuses.canonical_status, 'unknown')
        end as line_refund_state
    from export_rows
    left join refund_statuses on refund_statuses.raw_status = export_rows.refund_status
),

with_order_status as (
    select
        with_refund_state.*,
        coalesce(order_statuses.canonical_status, 'unknown') as order_status
    from with_refund_state
    left join order_statuses
        on order_statuses.raw_status = with_refund_state.status
        and (
            order_statuses.when_paid = 'any'
            or (order_statuses.when_paid = 'yes') = coalesce({{ shape.payment_evidence }}, false)
        )
),

order_versions as (
    select
        with_order_status.*,
        {{ shape.paid_at }} as payment_time
    from with_order_status
)
{%- endmacro %}

{% macro order_state_order() -%}
    coalesce(completed_at, shipped_at, payment_time, created_at) desc nulls last,
    {{ order_status_rank('order_status') }} desc
{%- endmacro %}

{# stg_<platform>__orders: the latest state of each order, order-level fields only. #}
{% macro stage_orders(platform) -%}
{{ incremental_by_key('order_key') }}
with
{{ order_export_versions(platform, 'order_id') }},

latest as (
    {{ latest_version('order_versions', ['order_id'], order_state_order()) }}
),

shops as (
    select shop_code, timezone from {{ ref('stg_landing__shops') }}
)

select
    latest.platform || ':' || latest.order_id as order_key,
    latest.platform,
    latest.shop_code,
    latest.order_id,
    latest.status as raw_status,
    latest.order_status,
    latest.created_at,
    latest.payment_time as paid_at,
    latest.shipped_at,
    latest.completed_at,
    {{ local_date('latest.created_at', 'shops.timezone') }} as created_date,
    {{ local_date('latest.payment_time', 'shops.timezone') }} as paid_date,
    latest.order_paid_amount,
    latest.shipping_fee,
    latest.discount_amount,
    latest.merchant_received,
    {{ buyer_key(platform, 'latest.buyer_id', 'latest.receiver_phone') }} as buyer_key,
    coalesce(latest.receiver_province, {{ address_region('latest.receiver_address', 'province') }}) as receiver_province,
    coalesce(latest.receiver_city, {{ address_region('latest.receiver_address', 'city') }}) as receiver_city,
    latest.traffic_source,
    latest.creator,
    latest._source_file,
    latest._file_mtime,
    latest._last_load_id
from latest
left join shops on shops.shop_code = latest.shop_code
{%- endmacro %}

{# stg_<platform>__order_lines: the latest state of each order line, line-level fields only. #}
{% macro stage_order_lines(platform) -%}
{{ incremental_by_key('line_key') }}
with
{{ order_export_versions(platform, 'line_id') }},

latest as (
    {{ latest_version('order_versions', ['line_id'], order_state_order()) }}
)

select
    platform || ':' || line_id as line_key,
    platform || ':' || order_id as order_key,
    platform,
    shop_code,
    order_id,
    line_id,
    platform_item_id,
    sku_code,
    item_title,
    sku_spec,
    quantity,
    unit_price,
    line_paid_amount,
    refund_status as raw_refund_status,
    line_refund_state as refund_status,
    refund_amount,
    _source_file,
    _file_mtime,
    _last_load_id
from latest
{%- endmacro %}
