"""Sending fired alerts: once per alert and channel, retried with backoff, every attempt recorded.

An alert is delivered to a channel when one attempt for it succeeded. Until then it stays
pending and each evaluation retries it, up to `delivery.max_evaluations` evaluations that
tried and failed; after that it is given up (still in `alerts.kpi_alerts`, marked by its
failed attempts in `alerts.notifications`). A failed send never raises.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from alerts.channels import build_request, delivery_error
from alerts.config import SEVERITY_RANK, Channel, Delivery

SENT, FAILED = "sent", "failed"


@dataclass(frozen=True)
class Endpoint:
    """A channel with the URL and secret its environment variables hold."""

    channel: Channel
    url: str
    secret: str | None


@dataclass
class DeliveryReport:
    attempts: list[dict] = field(default_factory=list)
    delivered: dict[str, int] = field(default_factory=dict)  # channel -> alerts delivered now
    unsent: dict[str, int] = field(default_factory=dict)  # channel -> alerts still pending after this evaluation
    given_up: dict[str, int] = field(default_factory=dict)  # channel -> alerts no longer retried


def _attempt_history(notifications: pd.DataFrame, channel: str) -> pd.DataFrame:
    return notifications[notifications["channel"] == channel] if len(notifications) else notifications


def pending_alerts(alerts: pd.DataFrame, notifications: pd.DataFrame, channel: Channel, delivery: Delivery,
                   latest_date: dt.date) -> tuple[pd.DataFrame, int]:
    """Fired alerts the channel should (still) get, most severe first, and how many were given up."""
    oldest = latest_date - dt.timedelta(days=delivery.max_age_days)
    fired = alerts[alerts["fired"].astype(bool)]
    wanted = pd.Series([channel.accepts(severity) and pd.Timestamp(day).date() >= oldest
                        for severity, day in zip(fired["severity"], fired["date"])], index=fired.index, dtype=bool)
    fired = fired[wanted]
    history = _attempt_history(notifications, channel.name)
    if len(history):
        sent = set(history.loc[history["status"] == SENT, "alert_key"])
        failed_rounds = history[history["status"] == FAILED].groupby("alert_key")["evaluation_id"].nunique()
        exhausted = set(failed_rounds[failed_rounds >= delivery.max_evaluations].index) - sent
        fired = fired[~fired["alert_key"].isin(sent)]
    else:
        exhausted = set()
    given_up = int(fired["alert_key"].isin(exhausted).sum())
    fired = fired[~fired["alert_key"].isin(exhausted)]
    order = fired.assign(_rank=[-SEVERITY_RANK[s] for s in fired["severity"]]).sort_values(["_rank", "alert_key"])
    return order.drop(columns="_rank"), given_up


def post_json(url: str, body: dict, timeout: float) -> tuple[int, str]:
    """POST a JSON body; the HTTP status and response text (an HTTP error status is an answer, not an exception)."""
    data = json.dumps(body, ensure_ascii=False).encode()
    request = urllib.request.Request(url, data=data, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def _permanent(http_status: int | None) -> bool:
    """Client errors other than rate limiting do not get better by retrying now."""
    return http_status is not None and 400 <= http_status < 500 and http_status != 429


def send_batch(endpoint: Endpoint, alerts: list[dict], delivery: Delivery, evaluation_id: str,
               previous_attempts: dict[str, int], sleep: Callable[[float], None] = time.sleep) -> tuple[list[dict], bool]:
    """Post one message carrying `alerts`, retrying with exponential backoff; the attempt rows and success."""
    channel = endpoint.channel
    rows: list[dict] = []
    for attempt in range(1, delivery.attempts + 1):
        now = dt.datetime.now(dt.UTC)
        request = build_request(channel, alerts, endpoint.url, endpoint.secret, now)
        try:
            http_status, text = post_json(request.url, request.body, delivery.timeout_seconds)
            error = delivery_error(channel, http_status, text)
        except (OSError, ValueError) as exc:  # refused, timed out, DNS, malformed URL
            http_status, error = None, f"{type(exc).__name__}: {exc}".replace(endpoint.url, f"<{channel.url_env}>")
        rows += [{"alert_key": a["alert_key"], "channel": channel.name,
                  "attempt": previous_attempts.get(a["alert_key"], 0) + attempt,
                  "status": SENT if error is None else FAILED, "http_status": http_status, "error": error,
                  "sent_at": now, "evaluation_id": evaluation_id} for a in alerts]
        if error is None:
            return rows, True
        if attempt == delivery.attempts or _permanent(http_status):
            break
        sleep(delivery.backoff_seconds * 2 ** (attempt - 1))
    return rows, False


def deliver(alerts: pd.DataFrame, notifications: pd.DataFrame, endpoints: list[Endpoint], delivery: Delivery,
            latest_date: dt.date, evaluation_id: str, log: logging.Logger | None = None) -> DeliveryReport:
    """Send every pending alert to every channel in batches. A channel whose batch fails all its attempts
    is not tried again in this evaluation: its remaining alerts stay pending, with no attempt recorded."""
    log = log or logging.getLogger(__name__)
    report = DeliveryReport()
    for endpoint in endpoints:
        name = endpoint.channel.name
        pending, report.given_up[name] = pending_alerts(alerts, notifications, endpoint.channel, delivery, latest_date)
        history = _attempt_history(notifications, name)
        previous = history.groupby("alert_key")["attempt"].max().to_dict() if len(history) else {}
        records = pending.to_dict("records")
        size = endpoint.channel.batch_size or delivery.batch_size
        delivered = 0
        for start in range(0, len(records), size):
            batch = records[start:start + size]
            rows, ok = send_batch(endpoint, batch, delivery, evaluation_id, previous)
            report.attempts += rows
            if not ok:
                log.warning(f"alert channel {name}: {len(records) - delivered} alerts unsent, last error: {rows[-1]['error']}")
                break
            delivered += len(batch)
        report.delivered[name] = delivered
        report.unsent[name] = len(records) - delivered
    return report
