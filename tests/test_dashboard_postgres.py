"""`ecomops serve` on a Postgres warehouse: a real uvicorn server reading the marts as the reader role.

The numbers must be those of SQL over the Postgres marts, and those of the DuckDB serving copy of a run on the
same landing (the `postgres_warehouse` fixture builds the marts from the landing of `dashboard_warehouse`).
"""

from __future__ import annotations

import json

import psycopg2
import psycopg2.extras
import pytest
from dashboard_harness import Client, running_dashboard, totals_sql

from dashboard.postgres_marts import postgres_placeholders
from ecomops.settings import get_settings
from dashboard.app import marts_source

START, END = "2026-10-20", "2026-11-08"
TOTALS = """
    select sum(gmv) as gmv, sum(paid_amount) as paid_amount, sum(paid_orders) as paid_orders,
           sum(paid_amount) / sum(paid_buyers) as arpu, sum(refund_amount) / sum(paid_amount) as refund_rate,
           sum(traffic_paid_buyers)::float8 / sum(visitors) as payment_conversion,
           sum(gross_profit) as gross_profit, sum(contribution_profit) as contribution_profit,
           sum(attributed_gmv) / sum(ad_spend) as roas
    from marts.kpi_shop_daily where date between %s and %s and shop_code = any(%s)"""


def pg_rows(url: str, query: str, parameters=()) -> list[dict]:
    with psycopg2.connect(url) as connection, connection.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cursor:
        cursor.execute(query, list(parameters))
        return [dict(row) for row in cursor.fetchall()]


@pytest.fixture(scope="module")
def server(postgres_warehouse, dashboard_warehouse, tmp_path_factory):
    environment = {"ECOMOPS_TARGET": "postgres", "ECOMOPS_READER_URL": postgres_warehouse.reader_url}
    with running_dashboard(tmp_path_factory.mktemp("serve_postgres"), dashboard_warehouse, environment) as base:
        yield Client(base)


def test_shop_daily_returns_the_rows_of_the_postgres_table(server, postgres_warehouse):
    rows = server.ok("/api/v1/kpis/shop-daily", start=START, end=END, shop="tb01,jd01")
    expected = pg_rows(postgres_warehouse.owner_url, "select * from marts.kpi_shop_daily where date between %s and %s "
                       "and shop_code in ('tb01', 'jd01') order by date, platform, shop_code", [START, END])
    assert len(rows) == len(expected) == 20 * 2
    assert list(rows[0]) == [name for name in expected[0] if not name.startswith("_")]
    for got, want in zip(rows, expected):
        assert got["date"] == want["date"].isoformat() and got["shop_code"] == want["shop_code"]
        for name, value in got.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                assert value == pytest.approx(float(want[name]), rel=1e-12), name


def test_summary_has_the_numbers_of_sql_over_the_postgres_marts_and_the_duckdb_copy(
        server, postgres_warehouse, dashboard_warehouse):
    body = server.ok("/api/v1/summary", start=START, end=END, platform="taobao")
    assert body["shops"] == ["tb01"] and (body["previous_start"], body["previous_end"]) == ("2026-09-30", "2026-10-19")
    (on_postgres,) = pg_rows(postgres_warehouse.owner_url, TOTALS, [START, END, ["tb01"]])
    on_duckdb = totals_sql(dashboard_warehouse, START, END, ["tb01"])
    for name, value in on_postgres.items():
        assert body["metrics"][name]["value"] == pytest.approx(float(value), rel=1e-12), name
        assert body["metrics"][name]["value"] == pytest.approx(float(on_duckdb[name]), rel=1e-9), name
    assert isinstance(body["metrics"]["paid_orders"]["value"], int)  # a count stays a whole number in JSON


@pytest.mark.parametrize("path", ["/api/v1/meta", "/api/v1/breakdown", "/api/v1/traffic", "/api/v1/products",
                                  "/api/v1/products/skus", "/api/v1/inventory", "/api/v1/members",
                                  "/api/v1/finance", "/api/v1/alerts", "/api/v1/screen"])
def test_every_page_endpoint_answers_from_postgres(server, path):
    body = server.ok(path, start=START, end=END)
    assert body
    text = json.dumps(body, ensure_ascii=False)
    assert "buyer_key" not in text and "customer_key" not in text and "receiver_name" not in text


def test_the_explorer_compiles_for_postgres_and_answers_what_sql_gives(server, postgres_warehouse):
    body = server.ok("/api/v1/explorer/query", metrics="paid_amount,aov", group_by="metric_time__week,shop__platform",
                     start=START, end=END, shop="tb01")
    assert body["columns"] == ["metric_time__week", "shop__platform", "paid_amount", "aov"]
    (want,) = pg_rows(postgres_warehouse.owner_url, TOTALS, [START, END, ["tb01"]])
    assert sum(row["paid_amount"] for row in body["rows"]) == pytest.approx(float(want["paid_amount"]))
    content_type, csv_bytes = server.download("/api/v1/explorer/query", format="csv", metrics="paid_amount",
                                              group_by="shop__platform", start=START, end=END)
    assert content_type.startswith("text/csv") and b"taobao" in csv_bytes


def test_the_dashboard_holds_no_transaction_open_between_requests(server, postgres_warehouse, postgres_server):
    """A run's swap of a rebuilt mart waits only for queries running at that moment, never for an idle dashboard."""
    server.ok("/api/v1/screen", start=START, end=END)
    sessions = pg_rows(postgres_server, "select state, (select count(*) from pg_locks as l "
                       "where l.pid = a.pid and l.relation is not null) as locks from pg_stat_activity as a "
                       "where usename = %s", [postgres_warehouse.reader_role])
    assert sessions and all(s["state"] == "idle" and s["locks"] == 0 for s in sessions), sessions


def test_the_dashboard_reads_as_the_reader_role_by_default(postgres_warehouse):
    settings = get_settings({"ECOMOPS_TARGET": "postgres", "ECOMOPS_POSTGRES_URL": postgres_warehouse.owner_url,
                             "ECOMOPS_READER_PASSWORD": postgres_warehouse.reader_password})
    marts = marts_source(settings)
    assert marts.rows("select current_user as user_name") == [{"user_name": "ecomops_reader"}]
    with pytest.raises(ValueError, match="ECOMOPS_READER_URL"):
        marts_source(get_settings({"ECOMOPS_TARGET": "postgres"}))


def test_duckdb_placeholders_become_psycopg2_ones_outside_string_literals():
    assert postgres_placeholders("select '?%' as a, x from t where y ilike ? and z = ?") == (
        "select '?%%' as a, x from t where y ilike %s and z = %s")
