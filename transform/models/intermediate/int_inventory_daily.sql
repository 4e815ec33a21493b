{#-
  Inventory per SKU x warehouse x day, from the first snapshot or receipt of
  the pair to the last snapshot date of the ERP (last receipt date without snapshots). A day without a snapshot
  carries the last snapshot forward (is_snapshot_day false); receipts are
  added on their own day.
-#}
with snapshots as (
    select * from {{ ref('stg_erp__inventory_snapshot') }}
),

receipts as (
    select
        received_date,
        warehouse,
        sku_code,
        sum(quantity) as received_qty,
        sum(received_value) as received_value
    from {{ ref('stg_erp__inventory_receipts') }}
    group by received_date, warehouse, sku_code
),

pairs as (
    select warehouse, sku_code, min(first_date) as first_date
    from (
        select warehouse, sku_code, min(snapshot_date) as first_date from snapshots group by warehouse, sku_code
        union all
        select warehouse, sku_code, min(received_date) as first_date from receipts group by warehouse, sku_code
    ) as firsts
    group by warehouse, sku_code
),

last_snapshot as (
    select coalesce(
        (select max(snapshot_date) from snapshots),
        (select max(received_date) from receipts)
    ) as last_date
),

days as (
    select
        pairs.warehouse as warehouse,
        pairs.sku_code as sku_code,
        cast(series.day_start as date) as inventory_date
    from pairs
    cross join last_snapshot
    {{ join_days_between('pairs.first_date', 'last_snapshot.last_date') }}
),

with_snapshot_date as (
    select
        days.*,
        max(snapshots.snapshot_date) over (
            partition by days.warehouse, days.sku_code
            order by days.inventory_date
            rows between unbounded preceding and current row
        ) as carried_snapshot_date
    from days
    left join snapshots
        on snapshots.warehouse = days.warehouse
        and snapshots.sku_code = days.sku_code
        and snapshots.snapshot_date = days.inventory_date
)

select
    with_snapshot_date.inventory_date as inventory_date,
    with_snapshot_date.warehouse as warehouse,
    with_snapshot_date.sku_code as sku_code,
    coalesce(with_snapshot_date.carried_snapshot_date = with_snapshot_date.inventory_date, false) as is_snapshot_day,
    snapshots.on_hand_qty as on_hand_qty,
    snapshots.available_qty as available_qty,
    snapshots.in_transit_qty as in_transit_qty,
    coalesce(receipts.received_qty, 0) as received_qty,
    coalesce(receipts.received_value, 0) as received_value
from with_snapshot_date
left join snapshots
    on snapshots.warehouse = with_snapshot_date.warehouse
    and snapshots.sku_code = with_snapshot_date.sku_code
    and snapshots.snapshot_date = with_snapshot_date.carried_snapshot_date
left join receipts
    on receipts.warehouse = with_snapshot_date.warehouse
    and receipts.sku_code = with_snapshot_date.sku_code
    and receipts.received_date = with_snapshot_date.inventory_date
