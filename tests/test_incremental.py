"""Incremental runs: one new day after 60 days of history gives the KPIs a full rebuild gives, and rewrites only
the recent days; a refund of an order created weeks earlier reaches the marts; the serving copy takes the new rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

from daily_delivery import deliver, hold_back_day
from demo_data import generate
from ecomops.settings import get_settings
from ingestion.mapping import PACKAGED_MAPPINGS, load_mappings
from orchestration.lib.partitions import business_days
from orchestration.serving.assets import SERVING_COPY_KEY
from pipeline_runs import build, partitions_by_asset, use_landing
from serving.publish import PUBLISHED_SCHEMAS, PUBLISHED_TABLES
from test_serving import differing_rows

START = dt.date(2026, 9, 20)
DAYS = 61
NEW_DAY = START + dt.timedelta(days=DAYS - 1)  # 2026-11-19
LOOKBACK_DAYS = 7  # transform/dbt_project.yml: vars.lookback_days
DAILY_ASSETS = ["marts/kpi_shop_daily", "marts/kpi_sku_daily", "marts/kpi_inventory_daily",
                "marts/kpi_finance_monthly", "marts/kpi_product_period", "alerts/kpi_alerts"]
# table -> its key columns: compared row by row between the incremental and the full warehouse
COMPARED = {
    "kpi_shop_daily": ["date", "shop_code"],
    "kpi_sku_daily": ["date", "sku_code"],
    "kpi_inventory_daily": ["date", "sku_code"],
    "kpi_finance_monthly": ["month_start", "shop_code"],
    "kpi_product_period": ["period_start", "shop_code"],
    "fct_orders": ["order_key"],
    "fct_order_lines": ["line_key"],
    "fct_refunds": ["refund_key"],
    "fct_settlement": ["shop_code", "entry_id"],
    "fct_inventory_daily": ["inventory_date", "warehouse", "sku_code"],
    "dim_customers": ["customer_key"],
}
# Outside what the one-day run rebuilds: its partition, the lookback, and the days its files reach back to
# (the day's order export re-exports orders created up to 27 days before: late refunds).
SENTINEL_DAY = NEW_DAY - dt.timedelta(days=45)


def _table(warehouse: Path, table: str, schema: str = "marts") -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        frame = con.sql(f"select * from {schema}.{table}").to_arrow_table().to_pandas()
    # bookkeeping differs by design: when a row was written (_built_at), the dlt load ids behind it (_last_load_id)
    frame = frame.drop(columns=[column for column in frame.columns if column.startswith("_")])
    return frame.sort_values(COMPARED.get(table, list(frame.columns))).reset_index(drop=True)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """60 days loaded, then day 61 as one incremental run; and the same 61 days built from scratch."""
    root = tmp_path_factory.mktemp("incremental")
    complete = root / "complete"
    generate(complete, shops=5, days=DAYS, start=START)
    history = root / "history"
    new_files = hold_back_day(complete, history, NEW_DAY)
    assert new_files, f"the generator wrote no files named for {NEW_DAY}"

    with pytest.MonkeyPatch.context() as env, dg.instance_for_test() as instance:
        env.setenv("ECOMOPS_BUYER_SALT", "test-salt")
        incremental = root / "incremental"
        use_landing(env, incremental, history)
        incremental.mkdir()
        with duckdb.connect(str(incremental / "warehouse.duckdb")) as con:  # a model the first run publishes
            con.execute("create schema marts; create table marts.retired_model as select 1 as id")
        first = build(instance)
        with duckdb.connect(str(incremental / "warehouse.duckdb")) as con:  # marks one old day's rows
            con.execute("update marts.kpi_shop_daily set page_views = page_views + 1000000 where date = ?",
                        [SENTINEL_DAY])
            con.execute("drop table marts.retired_model")  # the one-day run's publish drops it from the copy
        deliver(complete, history, new_files)
        one_day = build(instance, partitions=(NEW_DAY.isoformat(), NEW_DAY.isoformat()))
        with duckdb.connect(str(incremental / "warehouse.duckdb")) as con:
            sentinel_rows = con.execute(
                "select count(*) from marts.kpi_shop_daily where date = ? and page_views >= 1000000",
                [SENTINEL_DAY]).fetchall()[0][0]
            con.execute("update marts.kpi_shop_daily set page_views = page_views - 1000000 where date = ?",
                        [SENTINEL_DAY])

        full = root / "full"
        use_landing(env, full, complete)
        build(instance)
    yield {"first": first, "one_day": one_day, "sentinel_rows": sentinel_rows,
           "incremental": incremental / "warehouse.duckdb", "serving": incremental / "serving.duckdb",
           "full": full / "warehouse.duckdb"}


def test_the_first_load_materializes_every_partition_and_the_one_day_run_only_its_own(runs):
    first = partitions_by_asset(runs["first"])
    one_day = partitions_by_asset(runs["one_day"])
    every_day = set(business_days(get_settings()).get_partition_keys())  # the first business day .. yesterday
    assert min(every_day) == "2026-10-01"
    for asset in DAILY_ASSETS:
        assert first[asset] == every_day, asset
        assert one_day[asset] == {NEW_DAY.isoformat()}, asset
    # unpartitioned assets (raw tables, facts) materialize once per run, without a partition
    assert one_day["marts/fct_orders"] == {None}


def test_the_one_day_run_rewrites_only_the_days_of_its_rebuild_window(runs):
    assert runs["sentinel_rows"] == 5  # the marked rows of 45 days earlier survived: not rebuilt
    with duckdb.connect(str(runs["incremental"]), read_only=True) as con:
        (first_day, last_day), = con.execute("select min(date), max(date) from marts.kpi_shop_daily").fetchall()
    assert last_day == NEW_DAY and first_day == START


@pytest.mark.parametrize("table", list(COMPARED))
def test_one_incremental_day_equals_a_full_rebuild(runs, table):
    incremental, full = _table(runs["incremental"], table), _table(runs["full"], table)
    assert len(full) > 0
    pd.testing.assert_frame_equal(incremental, full, check_exact=False, rtol=1e-9)


def test_a_refund_of_an_order_created_weeks_earlier_reaches_the_marts(runs):
    late = """
        select refunds.refund_key, refunds.order_key, refunds.shop_code, refunds.refund_amount
        from marts.fct_refunds as refunds
        inner join marts.fct_orders as orders using (order_key)
        where refunds.refund_date = ? and refunds.is_succeeded and orders.created_date <= ?
        order by refunds.refund_key
    """
    params = [NEW_DAY, NEW_DAY - dt.timedelta(days=20)]
    with duckdb.connect(str(runs["full"]), read_only=True) as con:
        expected = con.execute(late, params).fetchall()
    assert expected, "the generated day 61 should refund an order created 20+ days earlier"
    with duckdb.connect(str(runs["incremental"]), read_only=True) as con:
        assert con.execute(late, params).fetchall() == expected
        for _, order_key, shop_code, amount in expected:
            (refunded,), = con.execute("select refunded_amount from marts.fct_orders where order_key = ?",
                                       [order_key]).fetchall()
            assert refunded >= amount
            (day_refunds,), = con.execute(
                "select refund_amount from marts.kpi_shop_daily where date = ? and shop_code = ?",
                [NEW_DAY, shop_code]).fetchall()
            assert day_refunds >= amount


def test_the_serving_copy_takes_the_one_day_runs_new_rows_and_equals_the_warehouse(runs):
    (publication,) = [event.materialization.metadata for event in runs["one_day"].get_asset_materialization_events()
                      if event.asset_key == SERVING_COPY_KEY]
    given_new_rows = publication["tables_given_new_rows"].value.split(", ")
    assert {"marts.kpi_shop_daily", "marts.fct_orders", "marts.fct_order_lines", "marts.fct_settlement"} <= set(given_new_rows)
    with duckdb.connect(str(runs["incremental"]), read_only=True) as con:
        con.execute(f"attach '{runs['serving']}' as serving (read_only)")
        tables = {database: {(schema, table) for schema, table in con.execute(
            "select schema_name, table_name from duckdb_tables() where database_name = ?", [database]).fetchall()}
            for database in ("warehouse", "serving")}
        published = {(schema, table) for schema, table in tables["warehouse"]
                     if schema in PUBLISHED_SCHEMAS or (schema, table) in PUBLISHED_TABLES}
        assert tables["serving"] == published and ("marts", "retired_model") not in tables["serving"]
        # Personal columns are published hashed, masked or not at all (quarantine): compare the others.
        personal = load_mappings(PACKAGED_MAPPINGS).personal_columns.keys() | {"_extra"}
        for schema, table in published:
            columns = [f'"{name}"' for (name,) in con.execute(
                "select column_name from duckdb_columns() where database_name = 'serving' and schema_name = ? "
                "and table_name = ? order by column_index", [schema, table]).fetchall() if name not in personal]
            assert differing_rows(con, f"{schema}.{table}", columns) == 0, table
        # the rebuild window's rows are the one-day run's; older days kept the first run's, and the sentinel day
        # its unmarked rows: a whole-table copy would have published the marks the fixture removed afterwards
        built = con.execute("select count(distinct _built_at), max(date) from serving.marts.kpi_shop_daily").fetchall()
        assert built == [(2, NEW_DAY)]
