{#-
  Inventory per SKU x warehouse x day, from the first snapshot or receipt of
  the pair to the last snapshot date of the ERP (last receipt date without snapshots). A day without a snapshot
  carries the last snapshot forward (is_snapshot_day false); receipts are
  added on their own day.
  Incremental by day: a run rebuilds every pair from the earliest day of a snapshot or receipt loaded since
  the last build, or from the day after the last day built, whichever is first. Earlier days keep their rows;
  the last snapshot before that day is carried into it.
-#}
{{ config(materialized='incremental', unique_key='inventory_date') }}

with snapshots as (
    select * from {{ ref('stg_erp__inventory_snapshot') }}
),

receipt_lines as (
    select * from {{ ref('stg_erp__inventory_receipts') }}
),

rebuild_start as (
    {{ first_day_to_rebuild([('snapshots', 'snapshot_date'), ('receipt_lines', 'received_date')], 'inventory_date') }}
),

receipts as (
    select
        receipt_lines.received_date as received_date,
        receipt_lines.warehouse as warehouse,
        receipt_lines.sku_code as sku_code,
        sum(receipt_lines.quantity) as received_qty,
        sum(receipt_lines.received_value) as received_value
    from receipt_lines
    inner join rebuild_start on receipt_lines.received_date >= rebuild_start.first_date
    group by receipt_lines.received_date, receipt_lines.warehouse, receipt_lines.sku_code
),

last_snapshot as (
    select coalesce(
        (select max(snapshot_date) from snapshots),
        (select max(received_date) from receipt_lines)
    ) as last_date
),

input_load as (
    {{ newest_load(['snapshots', 'receipt_lines']) }}
),

first_receipts as (
    select warehouse, sku_code, min(received_date) as first_date from receipt_lines group by warehouse, sku_code
),

first_snapshots as (
    select warehouse, sku_code, min(snapshot_date) as first_date from snapshots group by warehouse, sku_code
),

{#- What holds from span_start until the day before next_span_start (the last span: to last_date): each
    snapshot, and the days of a pair before its first snapshot (from its first receipt), without stock. Spans,
    not a join of every day to its snapshot: Postgres misjudged that join's size and compared each day with
    every snapshot of its pair. -#}
spans as (
    select
        warehouse,
        sku_code,
        snapshot_date as span_start,
        {{ lead_or_null('snapshot_date') }} over (partition by warehouse, sku_code order by snapshot_date) as next_span_start,
        true as is_snapshot,
        on_hand_qty,
        available_qty,
        in_transit_qty
    from snapshots
    union all
    select
        first_receipts.warehouse,
        first_receipts.sku_code,
        first_receipts.first_date,
        first_snapshots.first_date,
        false,
        null,
        null,
        null
    from first_receipts
    left join first_snapshots
        on first_snapshots.warehouse = first_receipts.warehouse
        and first_snapshots.sku_code = first_receipts.sku_code
    where first_snapshots.first_date is null or first_receipts.first_date < first_snapshots.first_date
),

days as (
    select
        cast(series.day_start as date) as inventory_date,
        spans.warehouse as warehouse,
        spans.sku_code as sku_code,
        spans.is_snapshot and cast(series.day_start as date) = spans.span_start as is_snapshot_day,
        spans.on_hand_qty as on_hand_qty,
        spans.available_qty as available_qty,
        spans.in_transit_qty as in_transit_qty
    from spans
    cross join last_snapshot
    cross join rebuild_start
    {{ join_days_between('greatest(spans.span_start, rebuild_start.first_date)',
                         'coalesce(' ~ dbt.dateadd('day', -1, 'spans.next_span_start') ~ ', last_snapshot.last_date)') }}
    where spans.next_span_start is null or spans.next_span_start > rebuild_start.first_date
)

select
    days.inventory_date as inventory_date,
    days.warehouse as warehouse,
    days.sku_code as sku_code,
    days.is_snapshot_day as is_snapshot_day,
    days.on_hand_qty as on_hand_qty,
    days.available_qty as available_qty,
    days.in_transit_qty as in_transit_qty,
    coalesce(receipts.received_qty, 0) as received_qty,
    coalesce(receipts.received_value, 0) as received_value,
    input_load.load_id as _last_load_id
from days
cross join input_load
left join receipts
    on receipts.warehouse = days.warehouse
    and receipts.sku_code = days.sku_code
    and receipts.received_date = days.inventory_date
