"""The pipeline on a Postgres warehouse: ECOMOPS_TARGET=postgres runs everything on a real server, and its marts
equal DuckDB's to the cent.

One module-scoped scenario on a generated landing of 5 shops × 14 days: on Postgres, `ecomops run` over the
first 13 days, then the 14th day as a one-day run, then a bad export that its raw gate blocks; on DuckDB,
the same 14 days built in one run. Tests read what each step printed and left in either warehouse.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from daily_delivery import deliver, hold_back_day
from demo_data import generate
from ecomops.settings import get_settings
from ingestion.warehouse import WarehouseConnection, connect_warehouse
from orchestration.transform.assets import warehouse_profile_environment
from pipeline_runs import (build, partitions_by_asset, use_duckdb, use_landing, use_postgres,
                           without_alert_channels)
from postgres_server import create_database
from quality.catalog import read_catalog
from quality.config import suite_configs
from quality.mart_gate import run_mart_gate
from quality.raw_gate import run_raw_gate
from test_quality import TAOBAO_EXTRA, _run, _write_taobao_extra

REPO = Path(__file__).resolve().parents[1]
START = dt.date(2026, 10, 1)  # the demo generator's first day: the first business day by default
DAYS = 14
NEW_DAY = START + dt.timedelta(days=DAYS - 1)
SALT = "test-salt"  # the same on both targets: buyer hashes then agree too
# Bookkeeping differs by design: when a row was written (_built_at), the dlt load ids behind it (_last_load_id).
BOOKKEEPING_PREFIX = "_"
# Evaluation bookkeeping of alert rows: when, and under which run.
ALERT_BOOKKEEPING = ["evaluated_at"]
# What a blocked run must leave as it was (test_quality's MART_STATE, spelt for Postgres too).
MART_STATE = {
    "fct_orders": "select count(*), round(cast(sum(gmv_amount) as numeric), 2), max(created_date) from marts.fct_orders",
    "kpi_shop_daily": "select count(*), round(cast(sum(paid_amount) as numeric), 2), max(date) from marts.kpi_shop_daily",
    "fct_inventory_daily": "select count(*), max(inventory_date) from marts.fct_inventory_daily",
}


def _frame(con: WarehouseConnection, schema: str, table: str) -> pd.DataFrame:
    """A table as both targets are compared: bookkeeping dropped, rows in one order."""
    frame = con.arrow(f'select * from {schema}."{table}"').to_pandas()
    frame = frame.drop(columns=[c for c in frame.columns if c.startswith(BOOKKEEPING_PREFIX)]
                       + [c for c in ALERT_BOOKKEEPING if c in frame.columns and schema == "alerts"])
    for column in frame.columns:  # rounded far below a cent, so that float noise cannot reorder rows
        if pd.api.types.is_float_dtype(frame[column]):
            frame[column] = frame[column].round(6)
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


def _published_frames(paths) -> dict[str, pd.DataFrame]:
    """Every mart and the alert results of a warehouse."""
    with connect_warehouse(paths, read_only=True) as con:
        names = [(s, t) for s, t in con.table_names() if s == "marts"] + [("alerts", "kpi_alerts")]
        return {f"{s}.{t}": _frame(con, s, t) for s, t in names}


def _rows(paths, sql: str) -> list[tuple]:
    with connect_warehouse(paths, read_only=True) as con:
        return [tuple(row) for row in con.rows(sql)]


@pytest.fixture(scope="module")
def runs(tmp_path_factory, postgres_server):
    root = tmp_path_factory.mktemp("postgres_pipeline")
    complete, history = root / "complete", root / "history"
    generate(complete, shops=5, days=DAYS, start=START)
    new_files = hold_back_day(complete, history, NEW_DAY)
    assert new_files, f"the generator wrote no files named for {NEW_DAY}"
    url = create_database(postgres_server, "t_postgres_pipeline")
    steps: dict = {"url": url}
    with pytest.MonkeyPatch.context() as env, dg.instance_for_test() as instance:
        env.setenv("ECOMOPS_BUYER_SALT", SALT)
        env.setenv("DAGSTER_HOME", str(root / "dagster_home"))
        without_alert_channels(env)

        use_landing(env, root / "postgres", history)
        # Roles belong to the whole server: this run's reader role is its own, not the other tests' `ecomops_reader`.
        use_postgres(env, url, "ecomops_reader_pipeline_test")
        steps["postgres"] = get_settings(dict(os.environ))  # a snapshot: it outlives the patched environment
        steps["first"] = _run("run")
        deliver(complete, history, new_files)
        steps["one_day"] = build(instance, partitions=(NEW_DAY.isoformat(), NEW_DAY.isoformat()))
        steps["postgres_frames"] = _published_frames(steps["postgres"])
        steps["clean_marts"] = {m: _rows(steps["postgres"], sql) for m, sql in MART_STATE.items()}
        _write_taobao_extra(history, fixed=False)
        steps["blocked"] = _run("run")
        steps["blocked_marts"] = {m: _rows(steps["postgres"], sql) for m, sql in MART_STATE.items()}

        use_duckdb(env)
        use_landing(env, root / "duckdb", complete)
        steps["duckdb"] = get_settings(dict(os.environ))
        build(instance)
        steps["duckdb_frames"] = _published_frames(steps["duckdb"])
    return steps


def test_the_url_is_a_secret_of_the_settings(runs):
    password = runs["url"].split(":")[2].split("@")[0]
    assert runs["postgres"].on_postgres and runs["postgres"].postgres_url() == runs["url"]
    assert password not in repr(runs["postgres"])


def test_ecomops_run_builds_everything_on_postgres(runs):
    code, out, err = runs["first"]
    assert code == 0, err[-3000:]
    assert "warehouse: Postgres database t_postgres_pipeline on 127.0.0.1:" in out
    assert "headline KPIs, last 7 days" in out
    password = runs["url"].split(":")[2].split("@")[0]
    assert password not in out and password not in err
    paths = runs["postgres"]
    assert not paths.serving.exists() and not paths.warehouse.exists()  # no DuckDB file, no serving copy
    assert set(runs["postgres_frames"]) == set(runs["duckdb_frames"])
    assert _raw_tables(paths) == _raw_tables(runs["duckdb"])


def _raw_tables(paths) -> set[str]:
    with connect_warehouse(paths, read_only=True) as con:
        return {table for _, table in con.table_names("raw") if not table.startswith("_dlt")}


def test_the_raw_load_keeps_merge_keys_and_lineage(runs):
    paths = runs["postgres"]
    columns = {c for (c,) in _rows(paths, "select column_name from information_schema.columns "
                                          "where table_schema = 'raw' and table_name = 'taobao_orders'")}
    assert {"_source_file", "_source_row", "_file_hash", "_file_mtime", "_dlt_load_id"} <= columns
    # a file's rows are replaced by file, never duplicated: one copy of each (file, row)
    assert _rows(paths, "select count(*) - count(distinct (_source_file, _source_row)) from raw.taobao_orders") == [(0,)]
    # one ledger row per file: the complete landing's, plus the bad export of the blocked run
    ledger = "select count(*) from raw.ingest_files"
    assert _rows(paths, ledger)[0][0] == _rows(runs["duckdb"], ledger)[0][0] + 1


def test_the_one_day_run_builds_only_its_partition(runs):
    materialized = partitions_by_asset(runs["one_day"])
    assert materialized["marts/kpi_shop_daily"] == {NEW_DAY.isoformat()}
    assert materialized["alerts/kpi_alerts"] == {NEW_DAY.isoformat()}
    assert runs["postgres_frames"]["marts.kpi_shop_daily"]["date"].max() == NEW_DAY


def test_a_blocking_gate_stops_the_run_on_postgres(runs):
    code, _, err = runs["blocked"]
    assert code == 1 and "blocking check failed: raw/taobao_orders" in err
    assert runs["blocked_marts"] == runs["clean_marts"]
    reasons = dict(_rows(runs["postgres"], "select _source_row, _quarantine_reasons from quarantine.taobao_orders "
                                           f"where _source_file = '{TAOBAO_EXTRA}' order by 1"))
    assert "order_paid_amount, min_value=0" in reasons[2] and "unknown_sku_code" in reasons[6]


def test_alerts_fire_on_postgres(runs):
    alerts = runs["postgres_frames"]["alerts.kpi_alerts"]
    assert sorted(alerts["date"].unique()) == [START + dt.timedelta(days=n) for n in range(DAYS)]
    assert alerts["fired"].sum() > 0
    # the day both warehouses evaluated on the same data: the same verdicts, observations and messages
    duckdb_alerts = runs["duckdb_frames"]["alerts.kpi_alerts"]
    pd.testing.assert_frame_equal(alerts[alerts["date"] == NEW_DAY].reset_index(drop=True),
                                  duckdb_alerts[duckdb_alerts["date"] == NEW_DAY].reset_index(drop=True),
                                  check_dtype=False)


def _same(left: pd.DataFrame, right: pd.DataFrame) -> str | None:
    """None if the frames hold the same rows (amounts within a millionth of a cent), else how they differ."""
    try:
        pd.testing.assert_frame_equal(left, right, check_dtype=False, check_exact=False, rtol=1e-9, atol=1e-6)
    except AssertionError as difference:
        return str(difference)
    return None


def test_kpi_shop_daily_is_identical_across_duckdb_and_postgres(runs):
    duckdb_ = runs["duckdb_frames"]["marts.kpi_shop_daily"]
    assert len(duckdb_) == 5 * DAYS
    assert _same(runs["postgres_frames"]["marts.kpi_shop_daily"], duckdb_) is None


def test_every_mart_is_identical_across_duckdb_and_postgres(runs):
    """Every KPI table, fact and dimension, buyer hashes included (the same salt on both)."""
    marts = {name: frame for name, frame in runs["duckdb_frames"].items() if name.startswith("marts.")}
    assert {"marts.kpi_sku_daily", "marts.kpi_inventory_daily", "marts.kpi_finance_monthly", "marts.customer_rfm",
            "marts.fct_orders", "marts.dim_customers"} <= set(marts)
    assert all(len(frame) for frame in marts.values())
    differences = {name: _same(runs["postgres_frames"][name], frame) for name, frame in marts.items()}
    assert {name: text for name, text in differences.items() if text} == {}


def test_dbt_unit_and_data_tests_pass_on_postgres(runs, tmp_path):
    """`dbt test` on the built Postgres warehouse: every unit test (runs skip them) and every data test."""
    project = tmp_path / "project"
    shutil.copytree(REPO / "transform", project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    env = {**os.environ, **warehouse_profile_environment(runs["postgres"]), "ECOMOPS_BUYER_SALT": SALT,
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1"}
    result = subprocess.run([str(Path(sys.executable).with_name("dbt")), "test", "--profiles-dir", "."], cwd=project,
                            env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-6000:]
    summary = re.search(r"Done\. PASS=(\d+) WARN=(\d+) ERROR=(\d+) SKIP=(\d+)", result.stdout)
    passed, _, errored, skipped = map(int, summary.groups())
    assert (errored, skipped) == (0, 0) and passed > 200
    assert "postgres" in result.stdout and int(re.search(r"(\d+) unit tests", result.stdout).group(1)) >= 17


def _gate_findings(paths, suite: str) -> dict[str, tuple]:
    """Every expectation of a gate over all rows of a table: (elements, unexpected, observed values, sample rows)."""
    config = suite_configs()[suite]
    with connect_warehouse(paths) as con:
        catalog = read_catalog(con, [config])
        if config.schema == "raw":
            result = run_raw_gate(con, config, catalog, run_id="compare", pending_only=False)
        else:
            result = run_mart_gate(con, config, catalog)
    assert result.error is None, result.error
    return {label: (o.element_count, o.unexpected_count, dict(o.unexpected_values), o.sample_rows)
            for label, o in result.outcomes.items()}


@pytest.mark.parametrize("suite", ["raw.jd_orders", "raw.erp_inventory_snapshot", "marts.fct_orders",
                                   "marts.kpi_shop_daily"])
def test_gates_find_the_same_on_both_targets(runs, suite):
    """Great Expectations validates the rows each warehouse gives alike (jd's exports are the same on both)."""
    postgres, duckdb_ = _gate_findings(runs["postgres"], suite), _gate_findings(runs["duckdb"], suite)
    assert postgres == duckdb_ and postgres
