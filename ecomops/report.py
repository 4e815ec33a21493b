"""The short summary a run ends with: what landed, what was rejected, where to look."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import duckdb

from ecomops.settings import WarehousePaths
from ingestion.mapping import load_mappings
from serving.catalog import table_row_counts


def _rows_table(counts: dict[str, int], settings: WarehousePaths) -> list[str]:
    """Rows per raw table as a platform × kind grid, ERP kinds on their own line."""
    by_table = load_mappings(settings.mappings).by_table
    lines = []
    for group in (False, True):
        mappings = [m for m in by_table.values() if m.is_erp == group]
        kinds = list(dict.fromkeys(m.kind for m in mappings))
        owners = list(dict.fromkeys(m.platform for m in mappings))
        width = max(len(k) for k in kinds) + 1
        lines.append(f"  {'':<8}" + "".join(f"{k:>{width}}" for k in kinds))
        for owner in owners:
            cells = "".join(f"{counts.get(f'{owner}_{k}', 0):>{width},}" for k in kinds)
            lines.append(f"  {owner:<8}{cells}")
    return lines


HEADLINE_KPIS_SQL = """
with last_days as (
    select * from marts.kpi_shop_daily
    where date > (select max(date) from marts.kpi_shop_daily) - interval 7 day
)
select
    platform,
    min(date), max(date),
    sum(paid_amount),
    sum(paid_orders),
    sum(paid_amount) / nullif(sum(paid_orders), 0),
    sum(refund_amount) / nullif(sum(paid_amount), 0),
    sum(payment_conversion * visitors) / nullif(sum(visitors), 0),
    sum(attributed_gmv) / nullif(sum(ad_spend), 0),
    sum(gross_profit) / nullif(sum(net_sales), 0)
from last_days
group by platform
order by sum(paid_amount) desc
"""


def _headline_kpis(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The last 7 days' headline KPIs per platform, rolled up from their components, not averaged."""
    rows = con.execute(HEADLINE_KPIS_SQL).fetchall()
    if not rows:
        return ["  (no KPI rows yet)"]
    start, end = min(r[1] for r in rows), max(r[2] for r in rows)
    lines = [f"  {start} .. {end}",
             f"  {'platform':<8}{'paid_amount':>14}{'orders':>8}{'aov':>9}{'refund%':>8}{'pay_cvr':>8}{'roas':>7}{'margin':>8}"]

    def pct(value):
        return f"{value:.1%}" if value is not None else "-"

    for platform, _, _, paid, orders, aov, refund_rate, conversion, roas, margin in rows:
        lines.append(
            f"  {platform:<8}{paid:>14,.2f}{orders:>8,}{(aov or 0):>9,.2f}{pct(refund_rate):>8}"
            f"{pct(conversion):>8}{(f'{roas:.2f}' if roas is not None else '-'):>7}{pct(margin):>8}"
        )
    return lines


def print_run_summary(settings: WarehousePaths, failed_steps: list[str]) -> None:
    if not settings.warehouse.exists():
        print(f"no warehouse at {settings.warehouse}")
        return
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        counts = {table: rows for (_, table), rows in table_row_counts(con, "raw").items()}
        rejected = con.execute(
            "select reason from raw.ingest_files where status = 'rejected' order by _source_file"
        ).fetchall() if "ingest_files" in counts else []
        has_kpis = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'marts' and table_name = 'kpi_shop_daily'"
        ).fetchall()[0][0]
        headline = _headline_kpis(con) if has_kpis else []
    print("\nraw rows per table (raw.<platform>_<kind>, raw.erp_<kind>):")
    print("\n".join(_rows_table(counts, settings)))
    print(f"  shops registered: {counts.get('shops', 0)}; files tracked: {counts.get('ingest_files', 0)}")
    print(f"\nrejected files: {len(rejected)}" + (f" (copies and reasons in {settings.quarantine})" if rejected else ""))
    for (reason,) in rejected:
        print(f"  - {reason}")
    if headline:
        print("\nheadline KPIs, last 7 days (marts.kpi_shop_daily):")
        print("\n".join(headline))
    if failed_steps:
        print(f"\nfailed steps: {', '.join(failed_steps)}")
    print(f"\nwarehouse: {settings.warehouse.resolve()}")
    if settings.serving.exists():
        print(f"serving copy for BI tools and analysts (read-only): {settings.serving.resolve()}")
    if settings.run_summary.exists():
        print(f"summary of the last published run (JSON): {settings.run_summary.resolve()}")
    print("open the Dagster UI with `make ui`, then http://127.0.0.1:3000")


def write_run_summary(path: Path, summary: Mapping[str, object]) -> None:
    """The summary of a published run as JSON, for scripts and monitors: replaced whole, never half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.writing")
    temporary.write_text(json.dumps(summary, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    temporary.replace(path)
