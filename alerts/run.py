"""One alert evaluation: read the KPIs, evaluate the rules, send what is pending, record everything."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from alerts.config import AlertConfig
from alerts.delivery import DeliveryReport, Endpoint, deliver
from alerts.evaluate import evaluate_rules
from alerts.store import read_alert_state, read_kpis, write_results
from ecomops.settings import WarehousePaths


@dataclass(frozen=True)
class AlertRun:
    results: pd.DataFrame  # every evaluated rule × grain × date of this run
    dates: dict[str, list[dt.date]]  # KPI table -> dates evaluated
    delivery: DeliveryReport
    unconfigured_channels: list[str]  # channels whose URL variable is not set

    @property
    def fired(self) -> pd.DataFrame:
        return self.results[self.results["fired"].astype(bool)]


def channel_endpoints(config: AlertConfig, environ: Mapping[str, str]) -> tuple[list[Endpoint], list[str]]:
    """Channels whose URL variable `environ` sets, with URL and secret; and the names of those without.

    URLs and keys are secrets: read from the environment (or what a test gives), never from files or code.
    """
    endpoints, unconfigured = [], []
    for channel in config.channels:
        url = environ.get(channel.url_env) or None
        if url is None:
            unconfigured.append(channel.name)
        else:
            secret = (environ.get(channel.secret_env) or None) if channel.secret_env else None
            endpoints.append(Endpoint(channel, url, secret))
    return endpoints, unconfigured


def _still_firing(recorded: pd.DataFrame, results: pd.DataFrame, config: AlertConfig) -> pd.DataFrame:
    """Recorded fired alerts not re-evaluated now (re-evaluated ones take this run's verdict) and of a current rule."""
    earlier = recorded[~recorded["alert_key"].isin(results["alert_key"])
                       & recorded["rule_id"].isin([r.id for r in config.rules])]
    frames = [f for f in (earlier, results[results["fired"].astype(bool)]) if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else results.iloc[0:0]


def run_alerts(paths: WarehousePaths, config: AlertConfig, evaluation_id: str,
               start: dt.date | None = None, end: dt.date | None = None,
               log: logging.Logger | None = None, *, environ: Mapping[str, str]) -> AlertRun:
    """Evaluate the rules on [start, end] (default: the recent dates), notify, and load results and attempts.

    `environ` holds the channels' URLs and keys (see `channel_endpoints`).
    """
    evaluated_at = dt.datetime.now(dt.UTC)
    kpis = read_kpis(paths, config.rules, start, end, config.evaluation.recent_dates)
    results = evaluate_rules(config.rules, kpis.frames, kpis.dates, evaluated_at)
    recorded, notifications = read_alert_state(paths)
    endpoints, unconfigured = channel_endpoints(config, environ)
    report = DeliveryReport()
    if kpis.latest_date is not None:
        report = deliver(_still_firing(recorded, results, config), notifications, endpoints, config.delivery,
                         kpis.latest_date, evaluation_id, log)
    write_results(paths, results, report.attempts)
    return AlertRun(results, kpis.dates, report, unconfigured)
