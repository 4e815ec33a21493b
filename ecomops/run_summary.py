"""The short summary `ecomops run` prints: what landed, what was rejected, the headline KPIs, where to look."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from ecomops.settings import WarehousePaths
from ingestion.mapping import load_mappings
from semantic import SemanticLayer, semantic_layer
from serving.catalog import table_row_counts, tables


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


# The metrics the summary shows, by name in the semantic layer; ratios are computed from their sums over
# the window (Σ paid_amount ÷ Σ paid_orders), never averaged over days.
HEADLINE_METRICS = ("paid_amount", "paid_orders", "aov", "refund_rate", "payment_conversion", "roas", "gross_margin")
HEADLINE_DAYS = 7


def _headline_kpis(con: duckdb.DuckDBPyConnection, layer: SemanticLayer) -> list[str]:
    """The headline KPIs per platform over the last 7 days with any of them, through the semantic layer."""
    days = layer.query(con, HEADLINE_METRICS, group_by=["metric_time__day"]).column("metric_time__day").to_pylist()
    if not days:
        return ["  (no KPI rows yet)"]
    end = max(days)
    start = min(day for day in days if day > end - dt.timedelta(days=HEADLINE_DAYS))
    rows = layer.query(con, HEADLINE_METRICS, group_by=["shop__platform"], order_by=["-paid_amount"],
                       filters=[("metric_time__day", ">=", start), ("metric_time__day", "<=", end)]).to_pylist()
    lines = [f"  {start} .. {end}",
             f"  {'platform':<8}{'paid_amount':>14}{'orders':>8}{'aov':>9}{'refund%':>8}{'pay_cvr':>8}{'roas':>7}{'margin':>8}"]

    def pct(value):
        return f"{value:.1%}" if value is not None else "-"

    for row in rows:
        roas = row["roas"]
        lines.append(
            f"  {row['shop__platform']:<8}{row['paid_amount']:>14,.2f}{row['paid_orders']:>8,}{(row['aov'] or 0):>9,.2f}"
            f"{pct(row['refund_rate']):>8}{pct(row['payment_conversion']):>8}"
            f"{(f'{roas:.2f}' if roas is not None else '-'):>7}{pct(row['gross_margin']):>8}"
        )
    return lines


def print_run_summary(settings: WarehousePaths, failed_steps: list[str], semantic_manifest: Path) -> None:
    if not settings.warehouse.exists():
        print(f"no warehouse at {settings.warehouse}")
        return
    with duckdb.connect(str(settings.warehouse), read_only=True, config=settings.duckdb.config()) as con:
        counts = {table: rows for (_, table), rows in table_row_counts(con, "raw").items()}
        rejected = con.execute(
            "select reason from raw.ingest_files where status = 'rejected' order by _source_file"
        ).fetchall() if "ingest_files" in counts else []
        layer = semantic_layer(semantic_manifest)
        built = set(tables(con, con.execute("select current_database()").fetchall()[0][0]))
        headline = _headline_kpis(con, layer) if layer.tables <= built else []  # a first failed run built no marts
    print("\nraw rows per table (raw.<platform>_<kind>, raw.erp_<kind>):")
    print("\n".join(_rows_table(counts, settings)))
    print(f"  shops registered: {counts.get('shops', 0)}; files tracked: {counts.get('ingest_files', 0)}")
    print(f"\nrejected files: {len(rejected)}" + (f" (copies and reasons in {settings.quarantine})" if rejected else ""))
    for (reason,) in rejected:
        print(f"  - {reason}")
    if headline:
        print(f"\nheadline KPIs, last {HEADLINE_DAYS} days (semantic layer metrics):")
        print("\n".join(headline))
    if failed_steps:
        print(f"\nfailed steps: {', '.join(failed_steps)}")
    print(f"\nwarehouse: {settings.warehouse.resolve()}")
    if settings.serving.exists():
        print(f"serving copy for BI tools and analysts (read-only): {settings.serving.resolve()}")
    if settings.run_summary.exists():
        print(f"summary of the last published run (JSON): {settings.run_summary.resolve()}")
    print("open the Dagster UI with `make ui`, then http://127.0.0.1:3000")

