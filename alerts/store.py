"""The warehouse side of alerts: KPI tables read read-only, results and send attempts written by dlt (either target).

Tables (dataset `alerts`):
- `kpi_alerts`: one row per rule, grain and evaluated date (fired or not, or skipped with the reason),
  merged on `alert_key` (= rule_id|shop_code|sku_code|date), so re-evaluating a range updates its rows;
- `notifications`: one row per send attempt of an alert to a channel, appended.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import dlt
import pandas as pd

from alerts.config import Rule
from alerts.evaluate import GRAIN_COLUMNS, evaluation_dates
from ecomops.settings import WarehousePaths
from ingestion.pipeline import warehouse_pipeline
from ingestion.warehouse import connect_warehouse

KPI_SCHEMA = "marts"
ALERTS_DATASET = "alerts"
ALERTS_TABLE = "kpi_alerts"
NOTIFICATIONS_TABLE = "notifications"
PIPELINE_NAME = "ecomops_alerts"

ALERT_TYPES = {
    "alert_key": "text!", "rule_id": "text!", "metric": "text!", "platform": "text!", "shop_code": "text!",
    "sku_code": "text", "date": "date!", "fired": "bool!", "observed": "double", "expected_low": "double",
    "expected_high": "double", "baseline": "double", "severity": "text!", "message": "text",
    "skip_reason": "text", "evaluated_at": "timestamp!",
}
NOTIFICATION_TYPES = {
    "alert_key": "text!", "channel": "text!", "attempt": "bigint!", "status": "text!", "http_status": "bigint",
    "error": "text", "sent_at": "timestamp!", "evaluation_id": "text!",
}


def _column_hints(types: dict[str, str]) -> dict[str, dict]:
    """dlt column hints in table order; a type ending in ! is not nullable."""
    return {name: {"data_type": t.rstrip("!"), "nullable": not t.endswith("!")} for name, t in types.items()}


@dataclass(frozen=True)
class KpiFrames:
    """What the rules read: per KPI table its rows (lookback included) and its dates to evaluate."""

    frames: dict[str, pd.DataFrame]
    dates: dict[str, list[dt.date]]
    latest_date: dt.date | None  # the newest business date in any KPI table read: "today" for the data


def _columns_needed(rules: Iterable[Rule]) -> dict[str, set[str]]:
    needed: dict[str, set[str]] = {}
    for rule in rules:
        needed.setdefault(rule.table, set()).update([rule.column, *(g.column for g in rule.min_volume)])
        if rule.top_sellers:
            needed.setdefault(rule.top_sellers.table, set()).update(["sku_code", rule.top_sellers.column])
    return needed


def read_kpis(paths: WarehousePaths, rules: Sequence[Rule], start: dt.date | None, end: dt.date | None,
              recent_dates: int) -> KpiFrames:
    """Read, read-only, the KPI columns the rules need for their evaluated dates and lookback."""
    needed = _columns_needed(rules)
    with connect_warehouse(paths, read_only=True) as con:
        present = {t: {r[0] for r in con.rows(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
            [KPI_SCHEMA, t])} for t in needed}
        for table, columns in needed.items():
            if not present[table]:
                raise ValueError(f"alert rules read {KPI_SCHEMA}.{table}, which does not exist")
            missing = ", ".join(sorted(columns - present[table]))
            if missing:
                raise ValueError(f"alert rules read {KPI_SCHEMA}.{table}, which lacks: {missing}")
        available = {t: [r[0] for r in con.rows(f'select distinct date from {KPI_SCHEMA}."{t}"')] for t in needed}
        dates = {t: evaluation_dates(available[t], start, end, recent_dates) for t in {r.table for r in rules}}
        ranges: dict[str, tuple[dt.date, dt.date]] = {}
        for rule in rules:
            if not dates[rule.table]:
                continue
            first = min(dates[rule.table]) - dt.timedelta(days=rule.lookback_days)
            for table in {rule.table, *([rule.top_sellers.table] if rule.top_sellers else [])}:
                low, high = ranges.get(table, (first, max(dates[rule.table])))
                ranges[table] = (min(low, first), max(high, max(dates[rule.table])))
        frames = {}
        for table, columns in needed.items():
            grain = [c for c in GRAIN_COLUMNS if c in present[table]]
            values = ", ".join(f'cast("{c}" as double precision) as "{c}"' for c in sorted(columns - set(grain)))
            low, high = ranges.get(table, (dt.date.max, dt.date.min))
            frames[table] = con.arrow(
                f'select date, {", ".join(grain)}, {values} from {KPI_SCHEMA}."{table}" where date between ? and ?',
                [low, high],
            ).to_pandas()
    latest = max((max(a) for a in available.values() if a), default=None)
    return KpiFrames(frames, dates, latest)


def read_alert_state(paths: WarehousePaths) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fired alerts recorded so far, and every send attempt so far (empty before the first load)."""
    with connect_warehouse(paths, read_only=True) as con:
        tables = {r[0] for r in con.rows(
            "select table_name from information_schema.tables where table_schema = ?", [ALERTS_DATASET])}

        def read(table: str, columns: Sequence[str], where: str = "true") -> pd.DataFrame:
            if table not in tables:
                return pd.DataFrame(columns=list(columns))
            names = ", ".join(f'"{c}"' for c in columns)
            return con.arrow(f"select {names} from {ALERTS_DATASET}.{table} where {where}").to_pandas()

        return read(ALERTS_TABLE, list(ALERT_TYPES), "fired"), read(NOTIFICATIONS_TABLE, list(NOTIFICATION_TYPES))


def alerts_pipeline(paths: WarehousePaths) -> dlt.Pipeline:
    return warehouse_pipeline(PIPELINE_NAME, ALERTS_DATASET, paths)


def _records(frame: pd.DataFrame) -> list[dict]:
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def write_results(paths: WarehousePaths, results: pd.DataFrame, attempts: list[dict]) -> None:
    """Merge the evaluation results and append the send attempts, in one dlt load."""
    resources = []
    if len(results):
        resources.append(dlt.resource(_records(results), name=ALERTS_TABLE, write_disposition="merge",
                                      primary_key="alert_key", columns=_column_hints(ALERT_TYPES)))
    if attempts:
        resources.append(dlt.resource(attempts, name=NOTIFICATIONS_TABLE, write_disposition="append",
                                      columns=_column_hints(NOTIFICATION_TYPES)))
    if resources:
        alerts_pipeline(paths).run(resources)
