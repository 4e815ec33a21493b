"""KPI alerts: conditions on hand-made series, delivery to real HTTP robots on 127.0.0.1, and the
Dagster asset on a real warehouse (one demo pipeline run per module for the anomaly check)."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import hmac
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest
import yaml
from pydantic import ValidationError

from alerts.config import AlertConfig, Anomaly, ChangePct, Threshold, load_alert_config, parse_alert_config
from alerts.delivery import Endpoint, deliver, pending_alerts
from alerts.evaluate import (ALERT_COLUMNS, anomaly, change_pct, evaluate_rule, evaluate_rules,
                             evaluation_dates, threshold)
from alerts.store import ALERT_TYPES
from demo_data import generate
from demo_data.catalog import build_catalog, build_shops, date_of, day_number
from demo_data.generator import DEFAULT_START, _incident_day
from ecomops.cli import main
from ecomops.settings import PACKAGED_ALERT_RULES, get_settings
from orchestration.alerts.assets import KPI_ASSETS, kpi_alerts_asset
from orchestration.lib.partitions import range_tags
from orchestration.alerts.resources import AlertRulesResource
from orchestration.definitions import defs
from orchestration.lib.warehouse import WAREHOUSE_POOL, WarehouseResource

MONDAY = pd.Timestamp("2026-11-02")
NOW = dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC)
DINGTALK_SECRET = "SEC-test-dingtalk-secret"
FEISHU_SECRET = "test-feishu-secret"


def packaged_document() -> dict:
    return yaml.safe_load(PACKAGED_ALERT_RULES.read_text(encoding="utf-8"))


def config_with(**changes) -> AlertConfig:
    """The packaged rules document with top-level keys replaced (delivery merged), validated."""
    document = packaged_document()
    delivery = {**document["delivery"], **changes.pop("delivery", {})}
    return parse_alert_config({**document, "delivery": delivery, **changes})


def daily(values: list[float | None], start: pd.Timestamp = MONDAY) -> pd.Series:
    return pd.Series(values, index=pd.date_range(start, periods=len(values), freq="D"), dtype=float)


def anomaly_condition(**fields) -> Anomaly:
    defaults = packaged_document()["defaults"]["anomaly"]
    return Anomaly(type="anomaly", **{"direction": "drop", **defaults, **fields})


# --- conditions on hand-made series -------------------------------------------------------------


def test_threshold_bounds_are_strict_or_inclusive_as_named():
    history = daily([5, 0, -2])
    at_or_below = Threshold(type="threshold", at_or_below=0)
    assert [threshold(at_or_below, history, d).fired for d in history.index] == [False, True, True]
    below = Threshold(type="threshold", below=0)
    assert [threshold(below, history, d).fired for d in history.index] == [False, False, True]
    above = threshold(Threshold(type="threshold", above=4), history, history.index[0])
    assert above.fired and above.expected_high == 4 and above.expected_low is None
    missing = threshold(below, daily([None]), MONDAY)
    assert not missing.fired and missing.skip_reason == "no value"
    with pytest.raises(ValidationError):
        Threshold(type="threshold", above=1, below=0)


def test_change_against_previous_day():
    drop = ChangePct(type="change_pct", compare_to="previous_day", direction="drop", threshold_pct=30)
    history = daily([100, 65, 60, 0, 50])
    outcome = change_pct(drop, history, history.index[1])
    assert outcome.fired and outcome.baseline == 100 and outcome.expected_low == 70 and outcome.expected_high is None
    assert "-35.0%" in outcome.detail
    assert not change_pct(drop, history, history.index[2]).fired  # 65 -> 60: -7.7 %
    after_zero = change_pct(drop, history, history.index[4])
    assert not after_zero.fired and "no non-zero value" in after_zero.skip_reason
    assert change_pct(drop, history, history.index[0]).skip_reason  # nothing before the first day
    spike = ChangePct(type="change_pct", compare_to="previous_day", direction="spike", threshold_pct=30)
    assert not change_pct(spike, history, history.index[1]).fired
    assert change_pct(spike, daily([100, 131]), MONDAY + pd.Timedelta(days=1)).fired


def test_change_against_same_weekday_last_week():
    # A quiet week after a busy Monday: next Monday is up on Sunday but down on last Monday.
    history = daily([100, 50, 50, 50, 50, 50, 50, 60])
    next_monday = MONDAY + pd.Timedelta(days=7)
    weekly = ChangePct(type="change_pct", compare_to="same_weekday_last_week", direction="drop", threshold_pct=30)
    daily_drop = ChangePct(type="change_pct", compare_to="previous_day", direction="drop", threshold_pct=30)
    outcome = change_pct(weekly, history, next_monday)
    assert outcome.fired and outcome.baseline == 100 and "-40.0% vs 2026-11-02" in outcome.detail
    assert not change_pct(daily_drop, history, next_monday).fired
    both = ChangePct(type="change_pct", compare_to="same_weekday_last_week", direction="both", threshold_pct=30)
    assert change_pct(both, history, next_monday).expected_high == 130


def weekly_pattern(weeks: int) -> list[float]:
    """Weekdays about 100, weekends about 200, a little deterministic noise."""
    noise = [3, -2, 1, -3, 2, -1, 0]
    return [(200 if day % 7 in (5, 6) else 100) + noise[(day + 2 * (day // 7)) % 7] for day in range(weeks * 7)]


def test_anomaly_compares_a_day_with_its_own_weekday():
    history = daily(weekly_pattern(4) + [100, 101, 99, 100, 102, 150])  # a Saturday at 150: low for a Saturday
    saturday = history.index[-1]
    assert saturday.weekday() == 5
    seasonal = anomaly(anomaly_condition(), history, saturday)
    assert seasonal.fired
    assert 195 < seasonal.baseline < 205 and seasonal.expected_low > 190 and seasonal.expected_high is None
    training = history.iloc[-29:-1]  # the 28 days before: residuals from each weekday's own mean, 7 weekdays
    pooled = ((training - training.groupby(training.index.day_of_week).transform("mean")) ** 2).sum() / (28 - 7)
    both = anomaly(anomaly_condition(direction="both"), history, saturday)
    assert both.expected_high - both.baseline == pytest.approx(3 * pooled**0.5)
    flat = anomaly(anomaly_condition(seasonality="none"), history, saturday)
    assert not flat.fired and 125 < flat.baseline < 135  # against the whole window's mean, 150 looks normal

    ordinary = daily(weekly_pattern(4) + [101, 99])  # next Monday and Tuesday: ordinary weekdays
    assert not any(anomaly(anomaly_condition(direction="both"), ordinary, d).fired for d in ordinary.index[-2:])


def test_anomaly_needs_enough_training_points():
    history = daily([100, 101, 99, 100, 102, 98, 10])  # six training days, then a collapse
    outcome = anomaly(anomaly_condition(), history, history.index[-1])
    assert not outcome.fired and outcome.skip_reason == "6 training points < 7"
    assert anomaly(anomaly_condition(min_points=6), history, history.index[-1]).fired
    gaps = daily([100, None, 101, None, 99, None, 100, None, 102, 10])  # nulls are not training points
    assert anomaly(anomaly_condition(), gaps, gaps.index[-1]).skip_reason == "5 training points < 7"


def test_anomaly_on_a_zero_variance_window():
    constant = [100.0] * 28
    same = anomaly(anomaly_condition(direction="both"), daily(constant + [100]), MONDAY + pd.Timedelta(days=28))
    assert not same.fired and "z +0.0" in same.detail
    lower = anomaly(anomaly_condition(), daily(constant + [99]), MONDAY + pd.Timedelta(days=28))
    assert lower.fired and lower.expected_low == 100
    assert not anomaly(anomaly_condition(direction="spike"), daily(constant + [99]), MONDAY + pd.Timedelta(days=28)).fired
    material = anomaly_condition(min_change_pct=5)
    assert not anomaly(material, daily(constant + [99]), MONDAY + pd.Timedelta(days=28)).fired
    assert anomaly(material, daily(constant + [90]), MONDAY + pd.Timedelta(days=28)).fired


# --- rules on frames ---------------------------------------------------------------------------


def shop_frame(days: int = 14) -> pd.DataFrame:
    """Three shops: tb01 collapses on the last day, tiny01 too (but sells almost nothing), jd01 is steady."""
    rows = []
    for shop, platform, level in (("tb01", "taobao", 10_000), ("tiny01", "pdd", 50), ("jd01", "jd", 8_000)):
        for i in range(days):
            collapse = shop != "jd01" and i == days - 1
            rows.append({"date": (MONDAY + pd.Timedelta(days=i)).date(), "platform": platform, "shop_code": shop,
                         "paid_amount": level * (0.3 if collapse else 1 + 0.02 * ((i * 5) % 3 - 1)),
                         "visitors": 40 if shop == "tiny01" else 4_000})
    return pd.DataFrame(rows)


def rule_document(**fields) -> dict:
    return {"id": "paid_amount_drop", "name": "paid amount drop", "metric": "kpi_shop_daily.paid_amount",
            "severity": "critical", **fields}


def rules(*documents: dict) -> list:
    return config_with(rules=list(documents)).rules


def test_rules_filter_grain_and_skip_small_volumes():
    frame = shop_frame()
    last = frame["date"].max()
    drop = {"condition": {"type": "anomaly", "direction": "drop"}}
    (unguarded,) = rules(rule_document(**drop))
    fired = {(r["shop_code"], r["date"]) for r in evaluate_rule(unguarded, frame, [last], NOW) if r["fired"]}
    assert fired == {("tb01", last), ("tiny01", last)}

    (guarded,) = rules(rule_document(**drop, min_volume=[{"column": "paid_amount", "at_least": 1000, "trailing_days": 7}]))
    by_shop = {r["shop_code"]: r for r in evaluate_rule(guarded, frame, [last], NOW)}
    assert by_shop["tb01"]["fired"] and not by_shop["tiny01"]["fired"]
    assert by_shop["tiny01"]["skip_reason"].startswith("paid_amount (7-day mean before) 49.86 < 1,000")
    assert by_shop["tiny01"]["observed"] == pytest.approx(15)

    (visitors_guard,) = rules(rule_document(**drop, min_volume=[{"column": "visitors", "at_least": 500}]))
    assert {r["shop_code"] for r in evaluate_rule(visitors_guard, frame, [last], NOW) if r["fired"]} == {"tb01"}

    (only_pdd,) = rules(rule_document(**drop, platforms=["pdd"]))
    assert {r["shop_code"] for r in evaluate_rule(only_pdd, frame, [last], NOW)} == {"tiny01"}
    (only_jd,) = rules(rule_document(**drop, shop_codes=["jd01"]))
    (row,) = evaluate_rule(only_jd, frame, [last], NOW)
    assert row["alert_key"] == f"paid_amount_drop|jd01||{last}" and not row["fired"] and row["message"] is None


def test_top_seller_stockout_watches_only_the_top_skus():
    days = [(MONDAY + pd.Timedelta(days=i)).date() for i in range(5)]
    sales = pd.DataFrame([{"date": d, "platform": "all", "shop_code": "all", "sku_code": sku, "paid_amount": amount}
                          for d in days for sku, amount in (("HIT", 900), ("MID", 300), ("TAIL", 5))])
    stock = sales.drop(columns="paid_amount").assign(available_qty=[0 if sku != "MID" else 12 for sku in sales["sku_code"]])
    config = config_with()
    rule = config.rule("top_seller_stockout").model_copy(
        update={"top_sellers": config.rule("top_seller_stockout").top_sellers.model_copy(update={"top_n": 2})})
    results = evaluate_rules([rule], {"kpi_inventory_daily": stock, "kpi_sku_daily": sales},
                             {"kpi_inventory_daily": days[1:]}, NOW)
    assert set(results["sku_code"]) == {"HIT", "MID"}  # TAIL is out of stock too, but sells nothing
    assert set(results.loc[results["fired"], "sku_code"]) == {"HIT"}
    assert "sku HIT" in results.loc[results["fired"], "message"].iloc[0]
    assert "expected > 0" in results.loc[results["fired"], "message"].iloc[0]
    assert evaluate_rules([rule], {"kpi_inventory_daily": stock, "kpi_sku_daily": sales},
                          {"kpi_inventory_daily": days[:1]}, NOW).empty  # no sales history yet: no top sellers


def test_evaluation_dates_default_to_the_recent_ones():
    present = [dt.date(2026, 11, d) for d in (1, 2, 3, 5, 6)]
    assert evaluation_dates(present, None, None, 3) == [dt.date(2026, 11, d) for d in (3, 5, 6)]
    assert evaluation_dates(present, dt.date(2026, 11, 2), dt.date(2026, 11, 5), 3) == [
        dt.date(2026, 11, d) for d in (2, 3, 5)]
    assert evaluation_dates(present, dt.date(2026, 11, 5), None, 1) == [dt.date(2026, 11, 5), dt.date(2026, 11, 6)]


def test_packaged_rules_load_with_the_dictionary_defaults(monkeypatch, tmp_path):
    config = load_alert_config(PACKAGED_ALERT_RULES)
    assert {r.id for r in config.rules} == {"paid_amount_drop", "payment_conversion_drop", "refund_rate_spike",
                                            "top_seller_stockout", "roas_drop"}
    paid = config.rule("paid_amount_drop").condition
    assert (paid.window_days, paid.sensitivity, paid.min_points, paid.seasonality) == (28, 3, 7, "weekday")
    assert config.rule("payment_conversion_drop").min_volume[0].column == "visitors"
    assert {c.type for c in config.channels} == {"webhook", "dingtalk", "wecom", "feishu", "slack"}
    assert list(ALERT_TYPES) == list(ALERT_COLUMNS)

    custom = tmp_path / "rules.yaml"
    custom.write_text(yaml.safe_dump({**packaged_document(), "rules": [rule_document(
        condition={"type": "threshold", "below": 1})]}), encoding="utf-8")
    monkeypatch.setenv("ECOMOPS_ALERT_RULES", str(custom))
    assert [r.id for r in AlertRulesResource.from_settings(get_settings()).load().rules] == ["paid_amount_drop"]
    bad = copy.deepcopy(packaged_document())
    bad["channels"].append({"name": "wecom", "type": "wecom", "url_env": "X"})
    with pytest.raises(ValidationError, match="duplicate channel name: wecom"):
        parse_alert_config(bad)


# --- delivery to real HTTP endpoints -----------------------------------------------------------


class RobotServer:
    """Chat robots on 127.0.0.1, answering like the real ones and checking their signatures.

    The first path segment picks the robot (`/dingtalk/...`, `/feishu/...`, ...); `fail(path, n)`
    makes a path answer HTTP 500 the next n times.
    """

    def __init__(self):
        self.requests: list[dict] = []
        self.failures: dict[str, float] = {}
        robots = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                parsed = urllib.parse.urlsplit(self.path)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8"))
                robots.requests.append({"path": parsed.path, "query": parsed.query, "body": body,
                                        "content_type": self.headers["Content-Type"]})
                if robots.failures.get(parsed.path, 0) > 0:
                    robots.failures[parsed.path] -= 1
                    return self.answer(500, "busy")
                robot = parsed.path.split("/")[1]
                raw_query = dict(pair.split("=", 1) for pair in parsed.query.split("&") if pair)
                self.answer(200, robots.reply(robot, raw_query, body))

            def answer(self, status: int, text: str):
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @staticmethod
    def reply(robot: str, query: dict, body: dict) -> str:
        if robot == "dingtalk":
            timestamp, sign = query["timestamp"], query["sign"]  # as sent: the base64 sign must arrive URL-encoded
            expected = base64.b64encode(hmac.new(DINGTALK_SECRET.encode(), f"{timestamp}\n{DINGTALK_SECRET}".encode(),
                                                 hashlib.sha256).digest()).decode()
            ok = (sign == urllib.parse.quote(expected, safe="") and body["msgtype"] == "markdown"
                  and body["markdown"]["title"] and body["markdown"]["text"])
            return json.dumps({"errcode": 0, "errmsg": "ok"} if ok else {"errcode": 310000, "errmsg": "sign not match"})
        if robot == "feishu":
            key = f"{body['timestamp']}\n{FEISHU_SECRET}".encode()
            expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
            ok = body["sign"] == expected
            return json.dumps({"code": 0, "msg": "success"} if ok else {"code": 19021, "msg": "sign match fail"})
        if robot == "wecom":
            return json.dumps({"errcode": 0, "errmsg": "ok"} if body["msgtype"] == "markdown" else {"errcode": 40008})
        if robot == "slack":
            return "ok" if body.get("text") else "invalid_payload"
        return "{}"

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def fail(self, path: str, times: float):
        self.failures[path] = times

    def received(self, path: str) -> list[dict]:
        return [r for r in self.requests if r["path"] == path]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def robots():
    server = RobotServer()
    yield server
    server.close()


def fired_alerts(count: int = 2) -> pd.DataFrame:
    rows = [{"alert_key": f"paid_amount_drop|tb0{i}||2026-11-14", "rule_id": "paid_amount_drop",
             "metric": "kpi_shop_daily.paid_amount", "platform": "taobao", "shop_code": f"tb0{i}", "sku_code": None,
             "date": dt.date(2026, 11, 14), "fired": True, "observed": 28456.0, "expected_low": 41964.0,
             "expected_high": None, "baseline": 60000.0, "severity": "critical" if i == 1 else "warning",
             "message": f"支付金额骤降: tb0{i} (taobao) 2026-11-14 paid_amount 28,456, expected ≥ 41,964",
             "skip_reason": None, "evaluated_at": NOW} for i in range(1, count + 1)]
    return pd.DataFrame(rows, columns=list(ALERT_COLUMNS))


def channels_config(robots: RobotServer, **delivery) -> tuple[AlertConfig, list[Endpoint]]:
    config = config_with(delivery={"backoff_seconds": 0.01, "timeout_seconds": 2, **delivery})
    by_name = {c.name: c for c in config.channels}
    endpoints = [Endpoint(by_name["dingtalk"], robots.url("/dingtalk/robot/send?access_token=t0k"), DINGTALK_SECRET),
                 Endpoint(by_name["wecom"], robots.url("/wecom/cgi-bin/webhook/send?key=k"), None),
                 Endpoint(by_name["feishu"], robots.url("/feishu/open-apis/bot/v2/hook/h"), FEISHU_SECRET),
                 Endpoint(by_name["slack"], robots.url("/slack/services/T/B/X"), None),
                 Endpoint(by_name["webhook"], robots.url("/webhook"), None)]
    return config, endpoints


def test_every_robot_gets_its_own_format_signed_where_it_signs(robots):
    config, endpoints = channels_config(robots)
    no_history = pd.DataFrame(columns=["alert_key", "channel", "attempt", "status", "evaluation_id"])
    report = deliver(fired_alerts(), no_history, endpoints, config.delivery, dt.date(2026, 11, 14), "run-1")
    assert report.delivered == {"dingtalk": 2, "wecom": 2, "feishu": 2, "slack": 2, "webhook": 2}
    assert {(a["status"], a["attempt"], a["http_status"]) for a in report.attempts} == {("sent", 1, 200)}

    (ding,) = robots.received("/dingtalk/robot/send")
    assert ding["query"].startswith("access_token=t0k&timestamp=")
    assert "支付金额骤降" in ding["body"]["markdown"]["text"] and ding["content_type"].startswith("application/json")
    (wecom,) = robots.received("/wecom/cgi-bin/webhook/send")
    assert wecom["body"]["msgtype"] == "markdown" and "tb02" in wecom["body"]["markdown"]["content"]
    (feishu,) = robots.received("/feishu/open-apis/bot/v2/hook/h")
    assert feishu["body"]["msg_type"] == "post"
    assert [line[0]["tag"] for line in feishu["body"]["content"]["post"]["zh_cn"]["content"]] == ["text", "text"]
    (slack,) = robots.received("/slack/services/T/B/X")
    assert [b["type"] for b in slack["body"]["blocks"]] == ["header", "section", "section"]
    (generic,) = robots.received("/webhook")
    assert [a["alert_key"] for a in generic["body"]["alerts"]] == list(fired_alerts()["alert_key"])
    assert generic["body"]["alerts"][0]["date"] == "2026-11-14"

    again = deliver(fired_alerts(), pd.DataFrame(report.attempts), endpoints, config.delivery, dt.date(2026, 11, 14), "run-2")
    assert again.attempts == [] and again.delivered == dict.fromkeys(report.delivered, 0)  # once per channel
    nothing = deliver(fired_alerts().iloc[0:0], pd.DataFrame(report.attempts), endpoints, config.delivery,
                      dt.date(2026, 11, 14), "run-3")
    assert nothing.attempts == [] and len(robots.requests) == 5


def test_channels_get_recent_alerts_of_their_severity_only():
    config = config_with()
    alerts = fired_alerts(2)  # tb01 critical, tb02 warning, both dated 2026-11-14
    no_history = pd.DataFrame(columns=["alert_key", "channel", "attempt", "status", "evaluation_id"])
    critical_only = config.channels[0].model_copy(update={"min_severity": "critical"})
    pending, _ = pending_alerts(alerts, no_history, critical_only, config.delivery, dt.date(2026, 11, 14))
    assert list(pending["shop_code"]) == ["tb01"]
    pending, _ = pending_alerts(alerts, no_history, config.channels[0], config.delivery, dt.date(2026, 11, 17))
    assert list(pending["shop_code"]) == ["tb01", "tb02"]  # 3 days old: still sent (max_age_days 3)
    pending, _ = pending_alerts(alerts, no_history, config.channels[0], config.delivery, dt.date(2026, 11, 18))
    assert pending.empty  # a backfill of old dates records alerts without paging anyone


def test_a_wrong_signature_is_a_failed_send_with_the_robots_reason(robots):
    config, endpoints = channels_config(robots, attempts=1)
    wrong = [Endpoint(endpoints[0].channel, endpoints[0].url, "not-the-secret"),
             Endpoint(endpoints[2].channel, endpoints[2].url, "not-the-secret")]
    report = deliver(fired_alerts(1), pd.DataFrame(columns=["alert_key", "channel", "attempt", "status", "evaluation_id"]),
                     wrong, config.delivery, dt.date(2026, 11, 14), "run-1")
    errors = {a["channel"]: a["error"] for a in report.attempts}
    assert errors == {"dingtalk": "dingtalk error 310000: sign not match", "feishu": "feishu error 19021: sign match fail"}
    assert report.unsent == {"dingtalk": 1, "feishu": 1}


def test_a_failing_endpoint_is_retried_and_every_attempt_recorded(robots):
    config, endpoints = channels_config(robots, attempts=3)
    robots.fail("/webhook", 2)
    report = deliver(fired_alerts(1), pd.DataFrame(columns=["alert_key", "channel", "attempt", "status", "evaluation_id"]),
                     [endpoints[4]], config.delivery, dt.date(2026, 11, 14), "run-1")
    assert [(a["attempt"], a["status"], a["http_status"]) for a in report.attempts] == [
        (1, "failed", 500), (2, "failed", 500), (3, "sent", 200)]
    assert report.attempts[0]["error"] == "HTTP 500: busy" and len(robots.received("/webhook")) == 3


# --- the Dagster asset on a small real warehouse -----------------------------------------------


def test_alerts_asset_is_defined_after_the_kpis_in_the_writer_pool():
    definitions = defs()
    key = dg.AssetKey(["alerts", "kpi_alerts"])
    assets_def = definitions.resolve_assets_def(key)
    assert assets_def.node_def.pool == WAREHOUSE_POOL and assets_def.group_names_by_key[key] == "alerts"
    assert set(assets_def.asset_deps[key]) == set(KPI_ASSETS)


@pytest.fixture
def small_warehouse(tmp_path, monkeypatch, robots):
    """A warehouse holding only kpi_shop_daily (tb01 collapses on its last day), rules with one failing channel
    and one recovering channel, and the settings pointing at both."""
    warehouse = tmp_path / "warehouse.duckdb"
    frame = shop_frame()
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema marts")
        con.register("frame", frame)
        con.execute("create table marts.kpi_shop_daily as select cast(date as date) as date, * exclude (date) from frame")
    document = packaged_document()
    document["rules"] = [rule_document(condition={"type": "anomaly", "direction": "drop"},
                                       min_volume=[{"column": "paid_amount", "at_least": 1000, "trailing_days": 7}])]
    document["channels"] = [{"name": "down", "type": "webhook", "url_env": "TEST_ALERT_DOWN_URL"},
                            {"name": "recovering", "type": "dingtalk", "url_env": "TEST_ALERT_DING_URL",
                             "secret_env": "TEST_ALERT_DING_SECRET"}]
    document["delivery"].update(backoff_seconds=0.01, timeout_seconds=2, max_evaluations=2)
    rules_path = tmp_path / "rules.yaml"
    rules_path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    for name in ("ECOMOPS_LANDING", "ECOMOPS_QUARANTINE", "ECOMOPS_SERVING"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    monkeypatch.setenv("ECOMOPS_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("ECOMOPS_ALERT_RULES", str(rules_path))
    monkeypatch.setenv("TEST_ALERT_DOWN_URL", robots.url("/down"))
    monkeypatch.setenv("TEST_ALERT_DING_URL", robots.url("/dingtalk/robot/send?access_token=t0k"))
    monkeypatch.setenv("TEST_ALERT_DING_SECRET", DINGTALK_SECRET)
    robots.fail("/down", float("inf"))
    return warehouse


def materialize_alerts(first_day: str = "2026-11-09", last_day: str = "2026-11-15") -> dict:
    """One run of the alerts asset over a range of its daily partitions (a single-run backfill)."""
    result = dg.materialize(
        [kpi_alerts_asset(get_settings())],
        resources={"warehouse": WarehouseResource.from_settings(get_settings()),
                   "alert_rules": AlertRulesResource.from_settings(get_settings())},
        tags=range_tags(first_day, last_day),
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert result.success
    events = result.get_asset_materialization_events()  # one per partition, all with the run's metadata
    first, last = dt.date.fromisoformat(first_day), dt.date.fromisoformat(last_day)
    assert sorted(e.partition for e in events) == [str(first + dt.timedelta(days=n)) for n in range((last - first).days + 1)]
    return {k: v.value for k, v in events[0].materialization.metadata.items()}


def rows(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_unsent_alerts_survive_and_are_retried_by_the_next_evaluation(small_warehouse, robots):
    robots.fail("/dingtalk/robot/send", 3)  # the DingTalk robot is down for the whole first evaluation
    first = materialize_alerts()
    assert first["alerts_fired"] == 1 and first["alerts_unsent"] == {"down": 1, "recovering": 1}
    assert first["send_attempts_failed"] == 6
    fired = rows(small_warehouse, "select alert_key, observed, expected_low from alerts.kpi_alerts where fired")
    assert [r[0] for r in fired] == ["paid_amount_drop|tb01||2026-11-15"] and fired[0][1] < fired[0][2]
    assert rows(small_warehouse, "select channel, status, count(*) from alerts.notifications group by all order by 1") == [
        ("down", "failed", 3), ("recovering", "failed", 3)]

    second = materialize_alerts()
    assert second["alerts_delivered"] == {"down": 0, "recovering": 1} and second["alerts_unsent"] == {"down": 1, "recovering": 0}
    third = materialize_alerts()  # delivered once is enough; `down` failed in max_evaluations (2) evaluations
    assert third["alerts_given_up"] == {"down": 1, "recovering": 0} and third["send_attempts_failed"] == 0
    attempts = rows(small_warehouse, "select channel, attempt, status from alerts.notifications order by channel, attempt")
    assert attempts == [("down", n, "failed") for n in range(1, 7)] + [
        ("recovering", n, "failed") for n in (1, 2, 3)] + [("recovering", 4, "sent")]
    assert len(robots.received("/dingtalk/robot/send")) == 4
    # three evaluations of the same dates: merged, not appended
    assert rows(small_warehouse, "select count(*), count(distinct alert_key) from alerts.kpi_alerts") == [(21, 21)]


# --- the demo pipeline: the generated incident days are found, ordinary days are quiet ----------


def demo_incidents(shops: int, days: int, seed: int = 7) -> set[tuple[str, dt.date]]:
    """The (shop, day) pairs the demo generator scaled to x0.4 (see demo_data/generator.py)."""
    first = day_number(DEFAULT_START)
    incidents = set()
    for shop in build_shops(seed, shops, build_catalog(seed, first, days), first, days):
        day = _incident_day(seed, shop, first, days)
        if day is not None:
            incidents.add((shop.code, date_of(day)))
    return incidents


@pytest.fixture(scope="module")
def demo_warehouse(tmp_path_factory):
    """5 shops x 45 days generated and run end to end through Dagster (`ecomops run`), once per module."""
    root = tmp_path_factory.mktemp("alerts_demo")
    generate(root / "landing", shops=5, days=45)
    with pytest.MonkeyPatch.context() as env:
        for name in ("ECOMOPS_QUARANTINE", "ECOMOPS_SERVING", "DAGSTER_HOME"):
            env.setenv(name, str(root / name.lower()))
        # the paths of the run below, for the settings the tests build from the environment
        env.setenv("ECOMOPS_LANDING", str(root / "landing"))
        env.setenv("ECOMOPS_WAREHOUSE", str(root / "warehouse.duckdb"))
        env.setenv("ECOMOPS_BUYER_SALT", "test-salt")
        for name in ("ECOMOPS_ALERT_RULES", *(c.url_env for c in load_alert_config(PACKAGED_ALERT_RULES).channels)):
            env.delenv(name, raising=False)
        assert main(["run", "--landing", str(root / "landing"), "--warehouse", str(root / "warehouse.duckdb")]) == 0
        yield get_settings().warehouse, env


def test_the_first_run_evaluates_every_day_of_history(demo_warehouse):
    warehouse, _ = demo_warehouse
    dates = rows(warehouse, "select distinct date from alerts.kpi_alerts order by 1")
    assert [d for (d,) in dates] == [dt.date(2026, 10, 1) + dt.timedelta(days=i) for i in range(45)]


def test_paid_amount_drop_fires_on_the_incident_days_only(demo_warehouse):
    warehouse, _ = demo_warehouse
    incidents = demo_incidents(shops=5, days=45)
    assert incidents, "the demo generator should plant at least one incident day"
    metadata = materialize_alerts("2026-10-01", "2026-11-14")
    assert "45 dates" in metadata["dates_evaluated"]["kpi_shop_daily"]
    fired = rows(warehouse, "select shop_code, date from alerts.kpi_alerts where rule_id = 'paid_amount_drop' and fired")
    assert set(fired) == incidents
    (quiet_days,) = rows(warehouse, """
        select count(*) from alerts.kpi_alerts
        where rule_id = 'paid_amount_drop' and not fired and skip_reason is null""")[0]
    assert quiet_days >= 150  # ordinary days were evaluated, and stayed quiet
    message = rows(warehouse, "select message from alerts.kpi_alerts where rule_id = 'paid_amount_drop' and fired limit 1")
    assert "paid_amount" in message[0][0] and "expected ≥" in message[0][0]

    before = rows(warehouse, "select count(*), count(*) filter (where fired) from alerts.kpi_alerts")
    materialize_alerts("2026-10-01", "2026-11-14")
    assert rows(warehouse, "select count(*), count(*) filter (where fired) from alerts.kpi_alerts") == before
