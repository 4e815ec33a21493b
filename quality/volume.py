"""The volume expectation: each business day the new loads touch, against the median of its trailing days."""

from __future__ import annotations

import datetime as dt
import statistics

import duckdb
import pandas as pd

from ingestion.warehouse import WarehouseConnection, as_warehouse_connection
from quality.catalog import sql_list
from quality.config import RAW_SCHEMA, SuiteConfig
from quality.results import ExpectationOutcome, GateResult
from quality.suites import VOLUME_RATIO_COLUMN, validate, volume_suite


def _volume_frame(con: WarehouseConnection, config: SuiteConfig, load_ids: list[str]) -> pd.DataFrame:
    """Per scope and business day touched by the new loads: the measure, its trailing median and their ratio.

    The warehouse counts the measure per scope and day from the first touched day's trailing window on;
    the trailing medians are taken here (Postgres has no median window function). The first touched day is
    read first and passed as a parameter: as a subquery it made DuckDB filter the table's history several
    times slower.
    """
    rule = config.volume
    tz = rule.timezone
    has_shops = rule.scope == "shop_code"
    day = (f"cast(timezone(coalesce(s.timezone, '{tz}'), t.{rule.date_column}) as date)"
           if has_shops else f"cast(t.{rule.date_column} as date)")
    scope = "t.shop_code" if has_shops else "'all'"
    join = f"left join {RAW_SCHEMA}.shops s on s.shop_code = t.shop_code" if has_shops else ""
    touched = con.arrow(f"select distinct {scope} as scope, {day} as day "
                        f"from {config.name} t {join} where t._dlt_load_id in ({sql_list(load_ids)})").to_pylist()
    columns = ["scope", "day", "measure", "trailing_median", "history_days", VOLUME_RATIO_COLUMN]
    if not touched:
        return pd.DataFrame(columns=columns)
    since = min(row["day"] for row in touched) - dt.timedelta(days=rule.trailing_days + 1)
    daily = con.rows(f"select {scope} as scope, {day} as day, {rule.measure} as measure from {config.name} t {join} "
                     f"where cast(t.{rule.date_column} as date) >= ? group by {'1, 2' if has_shops else '2'}", [since])
    measures = {(scope_, day_): measure for scope_, day_, measure in daily}
    rows = []
    for key in sorted({(row["scope"], row["day"]) for row in touched}):
        scope_, day_ = key
        trailing = [measures[(scope_, day_ - dt.timedelta(days=back))] for back in range(1, rule.trailing_days + 1)
                    if (scope_, day_ - dt.timedelta(days=back)) in measures]
        median = statistics.median(trailing) if trailing else None
        if key in measures and len(trailing) >= rule.min_history_days and median and median > 0:
            rows.append((scope_, pd.Timestamp(day_), measures[key], float(median), len(trailing), measures[key] / median))
    return pd.DataFrame(rows, columns=columns)


def check_volume(con: WarehouseConnection | duckdb.DuckDBPyConnection, config: SuiteConfig, result: GateResult,
                 sample_rows: int) -> None:
    """Add the volume outcome of the loads `result` validated: each day below the rule's floor is a failing value."""
    frame = _volume_frame(as_warehouse_connection(con), config, result.load_ids)
    if frame.empty:
        return
    rule = config.volume
    (validation,) = validate(frame, volume_suite(config.name, rule), ["scope", "day"])
    stats = validation.result
    label = (f"volume: {rule.measure} per {rule.scope or 'day'} and day >= {rule.min_ratio} x "
             f"median of the trailing {rule.trailing_days} days")
    outcome = result.outcomes.setdefault(label, ExpectationOutcome(expectation=label, severity=rule.severity))
    outcome.element_count += stats.get("element_count", 0)
    outcome.unexpected_count += stats.get("unexpected_count", 0) or 0
    failing = frame[frame[VOLUME_RATIO_COLUMN] < rule.min_ratio]
    for row in failing.itertuples():
        outcome.unexpected_values[f"{row.scope} {row.day:%Y-%m-%d}: {row.measure} vs {row.trailing_median:g}"] += 1
    outcome.sample_rows = [
        {"scope": r.scope, "day": f"{r.day:%Y-%m-%d}", "measure": r.measure, "trailing_median": r.trailing_median,
         VOLUME_RATIO_COLUMN: round(getattr(r, VOLUME_RATIO_COLUMN), 4)}
        for r in failing.head(sample_rows).itertuples()
    ]
