"""`ecomops serve`'s JSON API on a real uvicorn server over the serving copy of a generated warehouse."""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import shutil
import subprocess
import sys
import urllib.error
import urllib.request

import duckdb
import pandas as pd
import pytest
import yaml
from dashboard_harness import (REPO, Client, clean_environment, running_dashboard, serving_of, sql,
                               totals_sql)

from dashboard.access import hash_password

START, END = "2026-10-20", "2026-11-08"


@pytest.fixture(scope="module")
def server(dashboard_warehouse, tmp_path_factory):
    with running_dashboard(tmp_path_factory.mktemp("serve"), dashboard_warehouse) as base:
        yield Client(base)


ALL_SHOPS = ["dy01", "jd01", "pdd01", "tb01", "tm01"]


def test_shop_daily_returns_the_tables_rows_and_columns(server, dashboard_warehouse):
    rows = server.ok("/api/v1/kpis/shop-daily", start=START, end=END, shop="tb01,jd01")
    expected = sql(dashboard_warehouse, "select * exclude (_built_at) from marts.kpi_shop_daily "
                   "where date between ? and ? and shop_code in ('tb01', 'jd01') order by date, platform, shop_code",
                   [START, END])
    assert len(rows) == len(expected) == 20 * 2
    assert list(rows[0]) == list(expected[0])
    for got, want in zip(rows, expected):
        assert got["date"] == want["date"].isoformat() and got["shop_code"] == want["shop_code"]
        assert got["paid_amount"] == pytest.approx(float(want["paid_amount"]))


def test_summary_divides_summed_parts_and_compares_with_the_previous_period(server, dashboard_warehouse):
    body = server.ok("/api/v1/summary", start=START, end=END, platform="taobao")
    assert (body["previous_start"], body["previous_end"]) == ("2026-09-30", "2026-10-19")
    assert body["shops"] == ["tb01"]
    want = totals_sql(dashboard_warehouse, START, END, ["tb01"])
    before = totals_sql(dashboard_warehouse, "2026-09-30", "2026-10-19", ["tb01"])
    for name, value in want.items():
        metric = body["metrics"][name]
        assert metric["value"] == pytest.approx(float(value), rel=1e-12), name
        if before[name]:
            assert metric["previous"] == pytest.approx(float(before[name]))
            assert metric["change"] == pytest.approx((float(value) - float(before[name])) / abs(float(before[name])))
    daily = sql(dashboard_warehouse, "select avg(arpu) as a from marts.kpi_shop_daily where date between ? and ? "
                "and shop_code = 'tb01'", [START, END])[0]["a"]
    assert not math.isclose(body["metrics"]["arpu"]["value"], daily, rel_tol=1e-9)  # not an average of days


@pytest.mark.parametrize("path", ["/api/v1/meta", "/api/v1/breakdown", "/api/v1/traffic", "/api/v1/products",
                                  "/api/v1/products/skus", "/api/v1/inventory", "/api/v1/members",
                                  "/api/v1/finance", "/api/v1/alerts", "/api/v1/screen"])
def test_every_page_endpoint_answers_with_data(server, path):
    body = server.ok(path, start=START, end=END)
    assert body
    text = json.dumps(body, ensure_ascii=False)
    assert "buyer_key" not in text and "customer_key" not in text and "receiver_name" not in text


def test_page_endpoints_hold_what_the_pages_draw(server, dashboard_warehouse):
    by_shop = server.ok("/api/v1/breakdown", start=START, end=END, by="shop")
    assert sorted(r["shop_code"] for r in by_shop) == ALL_SHOPS
    assert sum(r["paid_amount"] for r in by_shop) == pytest.approx(
        float(totals_sql(dashboard_warehouse, START, END, ALL_SHOPS)["paid_amount"]))
    traffic = server.ok("/api/v1/traffic", start=START, end=END)
    funnel = traffic["funnel"]
    assert funnel["visitors"] > funnel["add_to_cart_buyers"] > funnel["order_buyers"] >= funnel["paid_buyers"] > 0
    assert server.ok("/api/v1/members", start=START, end=END)["cohorts"]
    finance = server.ok("/api/v1/finance", start=START, end=END)
    steps = {s["step"]: s["amount"] for s in finance["waterfall"]}
    assert steps["contribution_profit"] == pytest.approx(sum(v for k, v in steps.items() if k != "contribution_profit"))
    alerts = server.ok("/api/v1/alerts", start="2026-10-01", end="2026-11-14")
    assert [a["date"] for a in alerts] == sorted((a["date"] for a in alerts), reverse=True)
    skus = server.ok("/api/v1/products/skus", start=START, end=END, q="SKU-0001")
    assert skus and all("SKU-0001" in s["sku_code"] or "SKU-0001" in (s["product_name"] or "") for s in skus)


@pytest.mark.parametrize("params, message", [
    ({"start": "yesterday"}, "start must be a date"),
    ({"end": "2026-13-01"}, "end must be a date"),
    ({"start": "2026-11-08", "end": "2026-11-01"}, "is after end"),
    ({"start": "2000-01-01", "end": "2026-11-01"}, "at most"),
    ({"platform": "amazon"}, "unknown platform"),
    ({"shop": "nope01"}, "unknown shop"),
    ({"platform": "jd", "shop": "tb01"}, "no shop is both"),
])
@pytest.mark.parametrize("path", ["/api/v1/summary", "/api/v1/kpis/shop-daily", "/api/v1/screen"])
def test_bad_parameters_get_400_with_a_message(server, path, params, message):
    status, body = server.request(path, **params)
    assert status == 400 and message in body["detail"], body


@pytest.mark.parametrize("path, params", [("/api/v1/breakdown", {"by": "week"}),
                                          ("/api/v1/products/skus", {"q": "x" * 101})])
def test_bad_endpoint_parameters_get_400(server, path, params):
    status, body = server.request(path, **params)
    assert status == 400 and body["detail"], body


def test_the_openapi_document_lists_every_endpoint(server):
    paths = server.ok("/api/v1/openapi.json")["paths"]
    assert {"/api/v1/kpis/shop-daily", "/api/v1/summary", "/api/v1/screen", "/api/v1/login"} <= set(paths)


def test_the_server_never_holds_the_warehouse(server, dashboard_warehouse):
    """One read-write opener excludes every other: opening it here proves the server has not opened it."""
    server.ok("/api/v1/summary")
    with duckdb.connect(str(dashboard_warehouse)) as con:
        assert con.execute("select count(*) from marts.kpi_shop_daily").fetchone()[0] > 0


def test_a_new_publication_is_read_without_a_restart(dashboard_warehouse, tmp_path):
    copy = tmp_path / "serving.duckdb"
    shutil.copyfile(serving_of(dashboard_warehouse), copy)
    with running_dashboard(tmp_path, dashboard_warehouse, {"ECOMOPS_SERVING": str(copy)}) as base:
        client = Client(base)
        before = client.ok("/api/v1/summary", start=END, end=END, shop="tb01")["metrics"]["paid_amount"]["value"]
        staging = tmp_path / "publishing.duckdb"  # as the publisher does: write a new file, rename it over
        shutil.copyfile(copy, staging)
        with duckdb.connect(str(staging)) as con:
            con.execute("update marts.kpi_shop_daily set paid_amount = paid_amount + 1000 "
                        "where shop_code = 'tb01' and date = ?", [END])
        staging.replace(copy)
        after = client.ok("/api/v1/summary", start=END, end=END, shop="tb01")["metrics"]["paid_amount"]["value"]
    assert after == pytest.approx(before + 1000)


def test_off_loopback_it_refuses_to_start_without_users(dashboard_warehouse, tmp_path):
    run = subprocess.run([sys.executable, "-m", "ecomops.cli", "serve", "--host", "0.0.0.0", "--port", "1",
                          "--warehouse", str(dashboard_warehouse)], cwd=REPO, env=clean_environment(tmp_path),
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "refusing to serve on 0.0.0.0" in run.stderr


def test_on_postgres_without_reader_credentials_it_says_what_to_set(tmp_path):
    run = subprocess.run([sys.executable, "-m", "ecomops.cli", "serve", "--port", "1"], cwd=REPO,
                         env=clean_environment(tmp_path, {"ECOMOPS_TARGET": "postgres"}),
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2, run.stderr
    assert "ECOMOPS_READER_URL" in run.stderr and "ECOMOPS_READER_PASSWORD" in run.stderr
    assert "Traceback" not in run.stderr


USERS = {"boss": ("boss-password", None), "client": ("client-password", ["tb01"]),
         "guessed": ("guessed-password", None)}


@pytest.fixture(scope="module")
def users_server(dashboard_warehouse, tmp_path_factory):
    root = tmp_path_factory.mktemp("users")
    users = root / "users.yaml"
    users.write_text(yaml.safe_dump({"users": [
        {"name": name, "password": hash_password(password), **({"shops": shops} if shops else {})}
        for name, (password, shops) in USERS.items()]}), encoding="utf-8")
    environment = {"ECOMOPS_DASHBOARD_USERS": str(users), "ECOMOPS_DASHBOARD_SESSION_KEY": "test-session-key"}
    with running_dashboard(root, dashboard_warehouse, environment) as base:
        yield base


def logged_in(base: str, name: str) -> Client:
    client = Client(base)
    status, body = client.request("/api/v1/login", {"username": name, "password": USERS[name][0]})
    assert status == 200, body
    return client


def test_with_users_every_endpoint_needs_a_login(users_server):
    client = Client(users_server)
    for path in ("/api/v1/summary", "/api/v1/kpis/shop-daily", "/api/v1/meta"):
        assert client.request(path)[0] == 401
    request = urllib.request.Request(f"{users_server}/overview?shop=tb01")
    opener = urllib.request.build_opener(type("NoRedirect", (urllib.request.HTTPRedirectHandler,),
                                              {"redirect_request": lambda *a, **k: None}))
    with pytest.raises(urllib.error.HTTPError) as redirect:
        opener.open(request)
    assert redirect.value.code == 307 and redirect.value.headers["location"].startswith("/login?next=")


def test_login_logout_and_a_forged_cookie(users_server):
    client = logged_in(users_server, "boss")
    assert client.ok("/api/v1/meta")["user"] == "boss"
    forged = Client(users_server)
    forged.opener.addheaders = [("Cookie", "ecomops_session=eyJ1c2VyIjogImJvc3MifQ==.forged.signature")]
    assert forged.request("/api/v1/meta")[0] == 401
    assert client.request("/api/v1/logout", {})[0] == 200
    assert client.request("/api/v1/meta")[0] == 401


def test_failed_logins_are_rate_limited(users_server):
    client = Client(users_server)
    statuses = [client.request("/api/v1/login", {"username": "guessed", "password": "wrong"})[0] for _ in range(6)]
    assert statuses == [401] * 5 + [429]
    # The right password is refused too while the limit lasts: guessing gains nothing.
    assert client.request("/api/v1/login", {"username": "guessed", "password": USERS["guessed"][0]})[0] == 429
    assert logged_in(users_server, "boss").ok("/api/v1/meta")["user"] == "boss"  # other users are not locked out


def test_a_scoped_user_gets_nothing_of_another_shop(users_server, dashboard_warehouse):
    client = logged_in(users_server, "client")
    assert [s["shop_code"] for s in client.ok("/api/v1/meta")["shops"]] == ["tb01"]
    for path in ("/api/v1/summary", "/api/v1/kpis/shop-daily", "/api/v1/breakdown", "/api/v1/alerts",
                 "/api/v1/screen", "/api/v1/products/skus"):
        status, body = client.request(path, start=START, end=END, shop="jd01")
        assert status == 403 and "not one of your shops" in body["detail"], (path, body)
        assert client.request(path, start=START, end=END, shop="tb01,jd01")[0] == 403
    assert client.request("/api/v1/summary", platform="jd")[0] == 400  # no shop of theirs there
    assert client.request("/api/v1/inventory")[0] == 403  # seller-wide stock
    summary = client.ok("/api/v1/summary", start=START, end=END)
    assert summary["shops"] == ["tb01"]
    want = totals_sql(dashboard_warehouse, START, END, ["tb01"])
    assert summary["metrics"]["paid_amount"]["value"] == pytest.approx(float(want["paid_amount"]))
    rows = client.ok("/api/v1/kpis/shop-daily", start=START, end=END)
    assert rows and {r["shop_code"] for r in rows} == {"tb01"}
    assert {r["shop_code"] for r in client.ok("/api/v1/breakdown", by="shop")} == {"tb01"}
    assert {a["shop_code"] for a in client.ok("/api/v1/alerts", start="2026-10-01", end="2026-11-14")} <= {"tb01"}


def test_the_dates_default_to_the_last_30_days_of_data(server, dashboard_warehouse):
    (last,) = sql(dashboard_warehouse, "select max(date) as d from marts.kpi_shop_daily")
    body = server.ok("/api/v1/summary")
    assert body["end"] == last["d"].isoformat()
    assert body["start"] == (last["d"] - dt.timedelta(days=29)).isoformat()


def test_behind_a_proxy_the_identity_header_names_the_user(dashboard_warehouse, tmp_path):
    users = tmp_path / "users.yaml"
    users.write_text(yaml.safe_dump({"users": [{"name": "client", "shops": ["pdd01"]}]}), encoding="utf-8")
    environment = {"ECOMOPS_DASHBOARD_USERS": str(users), "ECOMOPS_DASHBOARD_IDENTITY_HEADER": "X-Forwarded-User"}
    with running_dashboard(tmp_path, dashboard_warehouse, environment) as base:
        anonymous, stranger, client = Client(base), Client(base), Client(base)
        stranger.opener.addheaders = [("X-Forwarded-User", "stranger")]
        client.opener.addheaders = [("X-Forwarded-User", "client")]
        assert anonymous.request("/api/v1/summary")[0] == 401
        assert stranger.request("/api/v1/summary")[0] == 403
        assert client.ok("/api/v1/summary")["shops"] == ["pdd01"]
        assert client.request("/api/v1/summary", shop="tb01")[0] == 403


def test_the_explorer_catalog_is_the_semantic_layers_without_personal_dimensions(server):
    catalog = server.ok("/api/v1/explorer/catalog")
    metrics = {m["name"]: m for m in catalog["metrics"]}
    assert {"paid_amount", "aov", "refund_rate", "roas", "sku_paid_amount"} <= set(metrics)
    assert metrics["paid_amount"]["label"] == "支付金额"
    dimensions = {d["name"]: d for d in catalog["dimensions"]}
    assert {"metric_time", "shop__platform", "shop", "sku__category", "order__receiver_province"} <= set(dimensions)
    assert {"day", "week", "month"} <= set(catalog["time_grains"])
    assert {name for name, d in dimensions.items() if d["type"] == "entity"} == {"shop", "sku"}  # no buyer, no order
    assert not any(part in name for name in dimensions
                   for part in ("buyer", "receiver_name", "phone", "address", "customer_key"))


def test_the_explorer_answers_what_sql_over_kpi_shop_daily_gives(server, dashboard_warehouse):
    body = server.ok("/api/v1/explorer/query", metrics="paid_amount,aov", group_by="shop__platform",
                     start=START, end=END)
    assert body["columns"] == ["shop__platform", "paid_amount", "aov"]
    want = {r["platform"]: r for r in sql(dashboard_warehouse, """
        select platform, sum(paid_amount) as paid_amount, sum(paid_amount) / sum(paid_orders) as aov
        from marts.kpi_shop_daily where date between ? and ? and platform <> 'all' group by platform""",
        [START, END])}
    got = {r["shop__platform"]: r for r in body["rows"] if r["shop__platform"] in want}
    assert set(got) == set(want)
    for platform, row in want.items():
        assert got[platform]["paid_amount"] == pytest.approx(float(row["paid_amount"])), platform
        assert got[platform]["aov"] == pytest.approx(float(row["aov"])), platform
    daily = server.ok("/api/v1/explorer/query", metrics="paid_amount", group_by="metric_time__day",
                      start=START, end=END, shop="tb01")
    assert [r["metric_time__day"] for r in daily["rows"]] == [
        (dt.date.fromisoformat(START) + dt.timedelta(days=n)).isoformat() for n in range(20)]
    assert sum(r["paid_amount"] for r in daily["rows"]) == pytest.approx(
        float(totals_sql(dashboard_warehouse, START, END, ["tb01"])["paid_amount"]))


@pytest.mark.parametrize("params, message", [
    ({"metrics": "no_such_metric"}, "no_such_metric"),
    ({"metrics": "paid_amount", "group_by": "customer__receiver_name"}, "customer__receiver_name"),
    ({"metrics": ""}, "metrics"),
    ({"metrics": "paid_amount", "format": "pdf"}, "format"),
])
def test_bad_explorer_requests_get_400_naming_what_is_wrong(server, params, message):
    status, body = server.request("/api/v1/explorer/query", **params)
    assert status == 400 and message in body["detail"], body


def test_explorer_downloads_hold_the_same_rows_as_json(server):
    params = {"metrics": "paid_amount,paid_orders", "group_by": "metric_time__week,shop__platform",
              "start": START, "end": END}
    rows = server.ok("/api/v1/explorer/query", **params)["rows"]
    content_type, csv_bytes = server.download("/api/v1/explorer/query", format="csv", **params)
    assert content_type.startswith("text/csv")
    table = pd.read_csv(io.BytesIO(csv_bytes), encoding="utf-8-sig")
    assert list(table.columns) == ["metric_time__week", "shop__platform", "paid_amount", "paid_orders"]
    assert len(table) == len(rows) and table["paid_amount"].sum() == pytest.approx(sum(r["paid_amount"] for r in rows))
    _, xlsx_bytes = server.download("/api/v1/explorer/query", format="xlsx", **params)
    sheet = pd.read_excel(io.BytesIO(xlsx_bytes), engine="calamine")
    assert len(sheet) == len(rows) and sheet["paid_orders"].sum() == sum(r["paid_orders"] for r in rows)


def test_a_scoped_user_explores_only_their_shops(users_server):
    client = logged_in(users_server, "client")
    assert client.request("/api/v1/explorer/query", metrics="paid_amount", shop="jd01")[0] == 403
    rows = client.ok("/api/v1/explorer/query", metrics="paid_amount", group_by="shop", start=START, end=END)["rows"]
    assert [r["shop"] for r in rows] == ["tb01"]
