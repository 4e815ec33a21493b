"""Rule evaluation: pure functions of pandas frames, no warehouse, no Dagster.

A KPI frame has a `date` column, the grain columns the table has (`platform`,
`shop_code`, and `sku_code` for SKU tables) and the metric and guard columns.
Every (rule, grain, evaluated date) present in the frame gives one result row:
fired, not fired, or skipped with the reason (a volume guard, missing history).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from alerts.config import Anomaly, ChangePct, Rule, Threshold, TopSellers, VolumeGuard

GRAIN_COLUMNS = ("platform", "shop_code", "sku_code")
ALERT_COLUMNS = (
    "alert_key", "rule_id", "metric", "platform", "shop_code", "sku_code", "date", "fired", "observed",
    "expected_low", "expected_high", "baseline", "severity", "message", "skip_reason", "evaluated_at",
)


@dataclass(frozen=True)
class Outcome:
    """One condition checked on one day. `expected_low`/`expected_high` bound the range that does not
    fire (None: unbounded on that side); `baseline` is what the day was compared with."""

    observed: float | None
    fired: bool = False
    expected_low: float | None = None
    expected_high: float | None = None
    baseline: float | None = None
    detail: str = ""
    skip_reason: str | None = None
    expected_text: str | None = None  # the range in words, when the bounds alone would mislead (inclusive limits)


def _value(history: pd.Series, day: pd.Timestamp) -> float | None:
    value = history.get(day)
    return None if value is None or pd.isna(value) else float(value)


def _before(history: pd.Series, day: pd.Timestamp, days: int) -> pd.Series:
    """The values of the `days` calendar days before `day` (the day itself excluded)."""
    return history[(history.index >= day - pd.Timedelta(days=days)) & (history.index < day)]


def threshold(condition: Threshold, history: pd.Series, day: pd.Timestamp) -> Outcome:
    observed = _value(history, day)
    if observed is None:
        return Outcome(None, skip_reason="no value")
    if condition.above is not None:
        return Outcome(observed, observed > condition.above, expected_high=condition.above,
                       expected_text=f"≤ {fmt(condition.above)}")
    if condition.at_or_above is not None:
        return Outcome(observed, observed >= condition.at_or_above, expected_high=condition.at_or_above,
                       expected_text=f"< {fmt(condition.at_or_above)}")
    if condition.below is not None:
        return Outcome(observed, observed < condition.below, expected_low=condition.below,
                       expected_text=f"≥ {fmt(condition.below)}")
    return Outcome(observed, observed <= condition.at_or_below, expected_low=condition.at_or_below,
                   expected_text=f"> {fmt(condition.at_or_below)}")


def change_pct(condition: ChangePct, history: pd.Series, day: pd.Timestamp) -> Outcome:
    """Fires when the move against the earlier day is at least `threshold_pct` % of that day's value."""
    observed = _value(history, day)
    base_day = day - pd.Timedelta(days=condition.lag_days)
    baseline = _value(history, base_day)
    if observed is None:
        return Outcome(None, skip_reason="no value")
    if baseline is None or baseline == 0:
        return Outcome(observed, baseline=baseline, skip_reason=f"no non-zero value on {base_day:%Y-%m-%d} to compare with")
    change = (observed - baseline) / abs(baseline) * 100
    margin = abs(baseline) * condition.threshold_pct / 100
    checks_drop = condition.direction in ("drop", "both")
    checks_spike = condition.direction in ("spike", "both")
    fired = (checks_drop and change <= -condition.threshold_pct) or (checks_spike and change >= condition.threshold_pct)
    return Outcome(observed, fired,
                   expected_low=baseline - margin if checks_drop else None,
                   expected_high=baseline + margin if checks_spike else None,
                   baseline=baseline, detail=f"{change:+.1f}% vs {base_day:%Y-%m-%d}")


def anomaly(condition: Anomaly, history: pd.Series, day: pd.Timestamp) -> Outcome:
    """z-score against the training window, seasonal by weekday.

    With `seasonality: weekday` and at least `min_weekday_points` same-weekday days in the window,
    the expected value is their mean and the standard deviation is pooled over the window after
    removing each weekday's own mean (degrees of freedom: points minus weekdays present). Otherwise
    the expected value is the window's mean and the deviation its sample standard deviation.
    A zero-variance window fires on any move beyond the expected value in the watched direction.
    """
    observed = _value(history, day)
    if observed is None:
        return Outcome(None, skip_reason="no value")
    training = _before(history, day, condition.window_days).dropna()
    if len(training) < condition.min_points:
        return Outcome(observed, skip_reason=f"{len(training)} training points < {condition.min_points}")
    weekdays = training.index.day_of_week
    same_weekday = training[weekdays == day.day_of_week]
    if condition.seasonality == "weekday" and len(same_weekday) >= condition.min_weekday_points:
        by_weekday = training.groupby(weekdays)
        residuals = training - by_weekday.transform("mean")
        sigma = math.sqrt(float((residuals**2).sum()) / (len(training) - by_weekday.ngroups))
        expected, basis = float(same_weekday.mean()), f"{len(same_weekday)} same weekdays"
    else:
        sigma = float(training.std(ddof=1))
        expected, basis = float(training.mean()), f"{len(training)} days"
    if math.isclose(observed, expected, rel_tol=1e-9, abs_tol=1e-12):
        sigma, z = 0.0, 0.0
    elif sigma <= 1e-12 * max(1.0, abs(expected)):
        sigma, z = 0.0, math.copysign(math.inf, observed - expected)
    else:
        z = (observed - expected) / sigma
    low, high = expected - condition.sensitivity * sigma, expected + condition.sensitivity * sigma
    checks_drop = condition.direction in ("drop", "both")
    checks_spike = condition.direction in ("spike", "both")
    material = (condition.min_change_pct is None
                or abs(observed - expected) >= abs(expected) * condition.min_change_pct / 100)
    fired = material and ((checks_drop and observed < low and z < 0) or (checks_spike and observed > high and z > 0))
    return Outcome(observed, fired,
                   expected_low=low if checks_drop else None,
                   expected_high=high if checks_spike else None,
                   baseline=expected, detail=f"z {z:+.1f}, expected from {basis} of {len(training)} training days")


def evaluate_condition(condition: Threshold | ChangePct | Anomaly, history: pd.Series, day: pd.Timestamp) -> Outcome:
    check = {"threshold": threshold, "change_pct": change_pct, "anomaly": anomaly}[condition.type]
    return check(condition, history, day)


def guard_failure(guards: Iterable[VolumeGuard], rows: pd.DataFrame, day: pd.Timestamp) -> str | None:
    """Why the row is too small to evaluate, or None. `rows`: one grain's rows indexed by date."""
    for guard in guards:
        column = rows[guard.column].astype(float)
        if guard.trailing_days:
            value, label = _before(column, day, guard.trailing_days).mean(), f"{guard.column} ({guard.trailing_days}-day mean before)"
        else:
            value, label = column.get(day), guard.column
        if value is None or pd.isna(value) or value < guard.at_least:
            shown = "none" if value is None or pd.isna(value) else fmt(value)
            return f"{label} {shown} < {fmt(guard.at_least)}"
    return None


def top_seller_skus(rankings: pd.DataFrame, top: TopSellers, days: Iterable[pd.Timestamp]) -> dict[pd.Timestamp, set[str]]:
    """Per day, the SKUs with the largest positive sum of `top.column` over the `trailing_days` before it."""
    rankings = with_timestamps(rankings)
    skus: dict[pd.Timestamp, set[str]] = {}
    for day in days:
        window = rankings[(rankings["date"] >= day - pd.Timedelta(days=top.trailing_days)) & (rankings["date"] < day)]
        totals = window.groupby("sku_code")[top.column].sum()
        totals = totals[totals > 0].sort_index()
        skus[day] = set(totals.sort_values(ascending=False, kind="stable").head(top.top_n).index)
    return skus


def with_timestamps(frame: pd.DataFrame) -> pd.DataFrame:
    """`date` as pandas timestamps (frames come with datetime.date, strings in tests)."""
    return frame.assign(date=pd.to_datetime(frame["date"]))


def evaluate_rule(rule: Rule, frame: pd.DataFrame, dates: Sequence[dt.date], evaluated_at: dt.datetime,
                  rankings: pd.DataFrame | None = None) -> list[dict]:
    """Result rows of one rule on the evaluated `dates` of its table's `frame` (which holds the lookback too).

    `rankings` is the frame of `rule.top_sellers.table` when the rule has a top-sellers scope.
    """
    frame = with_timestamps(frame)
    if rule.platforms is not None:
        frame = frame[frame["platform"].isin(rule.platforms)]
    if rule.shop_codes is not None:
        frame = frame[frame["shop_code"].isin(rule.shop_codes)]
    days = [pd.Timestamp(d) for d in sorted(set(dates))]
    in_scope = top_seller_skus(rankings, rule.top_sellers, days) if rule.top_sellers else None
    grain = [c for c in GRAIN_COLUMNS if c in frame.columns]
    rows = []
    for keys, group in frame.groupby(grain, sort=True, dropna=False):
        grain_values = dict(zip(grain, keys))
        series = group.set_index("date").sort_index()
        history = series[rule.column].astype(float)
        for day in days:
            if day not in series.index or (in_scope is not None and grain_values.get("sku_code") not in in_scope[day]):
                continue
            skipped = guard_failure(rule.min_volume, series, day)
            outcome = (Outcome(_value(history, day), skip_reason=skipped) if skipped
                       else evaluate_condition(rule.condition, history, day))
            rows.append(result_row(rule, grain_values, day.date(), outcome, evaluated_at))
    return rows


def evaluate_rules(rules: Iterable[Rule], frames: dict[str, pd.DataFrame], dates: dict[str, Sequence[dt.date]],
                   evaluated_at: dt.datetime) -> pd.DataFrame:
    """Every rule on its table's frame and evaluated dates: one frame of result rows (ALERT_COLUMNS)."""
    rows = []
    for rule in rules:
        rankings = frames[rule.top_sellers.table] if rule.top_sellers else None
        rows += evaluate_rule(rule, frames[rule.table], dates[rule.table], evaluated_at, rankings)
    return pd.DataFrame(rows, columns=list(ALERT_COLUMNS))


def alert_key(rule_id: str, shop_code: str, sku_code: str | None, day: dt.date) -> str:
    """The identity of an alert: re-evaluating the same rule, grain and date updates the same row."""
    return "|".join([rule_id, shop_code, sku_code or "", day.isoformat()])


def result_row(rule: Rule, grain: dict, day: dt.date, outcome: Outcome, evaluated_at: dt.datetime) -> dict:
    sku_code = grain.get("sku_code")
    return {
        "alert_key": alert_key(rule.id, grain["shop_code"], sku_code, day),
        "rule_id": rule.id,
        "metric": rule.metric,
        "platform": grain["platform"],
        "shop_code": grain["shop_code"],
        "sku_code": sku_code,
        "date": day,
        "fired": outcome.fired,
        "observed": outcome.observed,
        "expected_low": outcome.expected_low,
        "expected_high": outcome.expected_high,
        "baseline": outcome.baseline,
        "severity": rule.severity,
        "message": alert_message(rule, grain, day, outcome) if outcome.fired else None,
        "skip_reason": outcome.skip_reason,
        "evaluated_at": evaluated_at,
    }


def alert_message(rule: Rule, grain: dict, day: dt.date, outcome: Outcome) -> str:
    subject = f"sku {grain['sku_code']}" if grain.get("sku_code") else f"{grain['shop_code']} ({grain['platform']})"
    if outcome.expected_text:
        expected = outcome.expected_text
    elif outcome.expected_low is not None and outcome.expected_high is not None:
        expected = f"{fmt(outcome.expected_low)} – {fmt(outcome.expected_high)}"
    elif outcome.expected_low is not None:
        expected = f"≥ {fmt(outcome.expected_low)}"
    else:
        expected = f"≤ {fmt(outcome.expected_high)}"
    detail = f" ({outcome.detail})" if outcome.detail else ""
    return f"{rule.name}: {subject} {day:%Y-%m-%d} {rule.column} {fmt(outcome.observed)}, expected {expected}{detail}"


def fmt(value: float) -> str:
    """Amounts without decimals, small numbers and ratios with enough digits to read."""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.2f}" if abs(value) >= 1 else f"{value:.4g}"


def evaluation_dates(available: Iterable[dt.date], start: dt.date | None, end: dt.date | None,
                     recent: int) -> list[dt.date]:
    """The dates to evaluate: those present within [start, end], or the last `recent` present."""
    present = sorted(set(available))
    if start is None and end is None:
        return present[-recent:]
    return [d for d in present if (start is None or d >= start) and (end is None or d <= end)]
