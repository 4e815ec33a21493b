"""A raw gate's lookups (quality/suites.yaml `lookups`): refunds checked against the orders of the export and of
the platform's API, the same failing rows on DuckDB and on Postgres, and on Postgres a plan without a per-row
subquery (a correlated one scanned every order once per refund: a gate that never finished at 10 shops x 365 days),
and the raw tables indexed by load for the gates that look up one day's load."""

from __future__ import annotations

import re

import duckdb
import pytest

from ingestion.warehouse import DuckDbConnection, PostgresConnection, WarehouseConnection
from quality.catalog import read_catalog, rows_to_validate
from quality.config import suite_configs
from quality.raw_gate import run_raw_gate
from quality.records import ensure_gate_tables

ORDERS = [("o1", 100.0), ("o2", 50.0)]  # export orders: (order id, amount paid for the order)
API_ORDERS = [("o3", 30.0)]  # an order only the platform's API has delivered
REFUNDS = [  # (refund id, order id, amount)
    ("r1", "o1", 40.0),
    ("r2", "o3", 30.0),  # its order came from the API: known
    ("r3", "o9", 5.0),  # no such order anywhere
    ("r4", "o2", 60.0),  # more than the order's 50.00
]


def _create_tables(con: WarehouseConnection) -> None:
    ensure_gate_tables(con)
    con.execute("create schema raw")
    lineage = "_source_file text, _source_row bigint, _file_mtime timestamptz, _dlt_load_id text"
    con.execute(f"create table raw.jd_orders (order_id text, order_paid_amount numeric(18, 2), {lineage})")
    con.execute("create table raw.jd_api_orders (order_id text, order_paid_amount numeric(18, 2))")
    con.execute("create table raw.jd_refunds (shop_code text, refund_id text, order_id text, refund_amount numeric(18, 2), "
                f"requested_at timestamptz, refund_status text, refund_type text, {lineage})")
    for order_id, amount in ORDERS:
        con.execute("insert into raw.jd_orders values (?, ?, 'orders.csv', 2, now(), 'L0')", [order_id, amount])
    for order_id, amount in API_ORDERS:
        con.execute("insert into raw.jd_api_orders values (?, ?)", [order_id, amount])
    for row, (refund_id, order_id, amount) in enumerate(REFUNDS, start=2):
        con.execute("insert into raw.jd_refunds values ('jd01', ?, ?, ?, now() - interval '1 day', '完成', '仅退款', "
                    "'refunds.csv', ?, now(), 'L1')", [refund_id, order_id, amount, row])


@pytest.fixture
def postgres_tables(postgres_database) -> WarehouseConnection:
    con = PostgresConnection(postgres_database)
    _create_tables(con)
    yield con
    con.close()


@pytest.fixture(params=["duckdb", "postgres"])
def warehouse(request, tmp_path) -> WarehouseConnection:
    if request.param == "postgres":
        yield request.getfixturevalue("postgres_tables")
        return
    con = DuckDbConnection(duckdb.connect(str(tmp_path / "lookups.duckdb")))
    _create_tables(con)
    yield con
    con.close()


def test_refunds_are_checked_against_export_and_api_orders(warehouse):
    config = suite_configs()["raw.jd_refunds"]
    result = run_raw_gate(warehouse, config, read_catalog(warehouse, [config]), run_id="r1")

    assert result.rows == 4 and result.blocks
    quarantined = warehouse.rows("select _source_row, _quarantine_reasons from quarantine.jd_refunds order by 1")
    assert [(row, reasons.split(" [")[0]) for row, reasons in quarantined] == [
        (4, "expect_column_values_to_be_null(unknown_order_id)"),
        (5, "expect_column_values_to_be_between(refund_over_order_amount, max_value=0.005)"),
    ]


def test_postgres_plans_the_lookup_as_a_join(postgres_tables):
    config = suite_configs()["raw.jd_refunds"]
    columns = read_catalog(postgres_tables, [config]).columns[config.name]
    sql = rows_to_validate(config, columns, ["L1"]).sql
    plan = "\n".join(line for (line,) in postgres_tables.rows("explain " + sql))
    assert re.search(r"(Left|Right) Join", plan) and "SubPlan" not in plan, plan


def test_the_raw_gates_index_postgres_tables_by_load(postgres_tables):
    read_catalog(postgres_tables, [suite_configs()["raw.jd_refunds"]])
    indexes = postgres_tables.rows("select indexname, indexdef from pg_indexes where schemaname = 'raw'")
    assert indexes == [("jd_refunds___dlt_load_id__brin",
                        'CREATE INDEX jd_refunds___dlt_load_id__brin ON raw.jd_refunds USING brin (_dlt_load_id)')]
