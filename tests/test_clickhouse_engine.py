"""The models compiled for ClickHouse run on the ClickHouse engine and give DuckDB's marts, to the cent.

No ClickHouse server runs here; chDB is ClickHouse itself (26.9) in this process, with no server and no
network. One small landing is loaded by dlt into DuckDB and built there by `dbt build`; its raw tables and
seeds are copied into chDB through Parquet, under the names dlt's clickhouse destination gives them
(raw___<table> in the profile's database). Then every model's first-build SQL, compiled by dbt-clickhouse,
runs in dependency order as a plain `create view` / `create table ... as`, with the profile's settings.
The incremental SQL and dbt's data tests run too, as selects. Not covered: dbt-clickhouse's
materializations (the delete_insert of incremental runs), dlt's clickhouse loader and its column types
(Parquet's here), a server's distributed tables.
"""

from __future__ import annotations

import datetime
import decimal
import json
import math
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml
from chdb import session

from clickhouse_project import TRANSFORM, build_order, compile_for_clickhouse
from dbt_projects import DBT, loaded_project

SALT = "test-salt"
PROFILE = yaml.safe_load((TRANSFORM / "profiles.yml").read_text(encoding="utf-8"))["ecomops"]["outputs"]["clickhouse"]
SETTINGS = " settings " + ", ".join(f"{name} = {value}" for name, value in PROFILE["custom_settings"].items())
RAW_DATABASE = "ecomops"  # the profile's schema by default: the database dlt loads into


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One landing built by dbt on DuckDB, and the same raw tables run through the ClickHouse SQL in chDB."""
    root = tmp_path_factory.mktemp("clickhouse_engine")
    loaded = loaded_project(root, shops=3, days=10, salt=SALT)
    loaded.run(DBT, "build", "--profiles-dir", ".")
    warehouse = loaded.warehouse

    parquet = root / "parquet"
    parquet.mkdir()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        inputs = con.execute("""
            select table_schema, table_name from information_schema.tables
            where table_type = 'BASE TABLE' and (table_schema = 'raw' or (table_schema = 'staging'
                and table_name in (select unnest(?))))""", [seed_names()]).fetchall()
        for schema, name in inputs:
            con.execute(f"copy {schema}.{name} to '{parquet / f'{schema}.{name}.parquet'}' (format parquet)")

    engine = session.Session(str(root / "chdb"))
    for database in (RAW_DATABASE, "staging", "intermediate", "marts"):
        engine.query(f"create database if not exists {database}")
    for file in sorted(parquet.glob("*.parquet")):
        schema, name = file.stem.split(".", 1)
        table = f"{RAW_DATABASE}.raw___{name}" if schema == "raw" else f"staging.{name}"
        engine.query(f"create table {table} engine = MergeTree order by tuple() as select * from file('{file}', Parquet)")

    nodes = compile_for_clickhouse(root / "clickhouse", incremental=False, salt=SALT, resource_types=("model", "test"))
    models = {name: node for name, node in nodes.items() if node["resource_type"] == "model"}
    failures = {}
    for name in build_order(models):
        node = models[name]
        relation = f"`{node['schema']}`.`{name}`"
        try:
            if node["config"]["materialized"] == "view":
                engine.query(f"create view {relation} as {node['compiled_code']}")
                engine.query(f"select count() from {relation}{SETTINGS}")
            else:
                engine.query(f"create table {relation} engine = MergeTree order by tuple() as {node['compiled_code']}{SETTINGS}")
        except Exception as error:  # noqa: BLE001 - every model's error is reported, not only the first
            failures[name] = str(error)[:600]
    duckdb_results = json.loads((loaded.project / "target" / "run_results.json").read_text(encoding="utf-8"))["results"]
    yield {"warehouse": warehouse, "engine": engine, "root": root, "failures": failures,
           "tests": {name: node for name, node in nodes.items() if node["resource_type"] == "test"},
           "duckdb_results": {result["unique_id"]: result for result in duckdb_results}}
    engine.close()


def seed_names() -> list[str]:
    return [path.stem for path in (TRANSFORM / "seeds").glob("*.csv")]


def test_every_model_runs_on_clickhouse(built):
    assert not built["failures"]


def test_incremental_selects_run_on_clickhouse(built):
    """The incremental branch of each incremental model (its rebuild window, its last load, read from its own
    table) runs against the tables the first build made: here it selects nothing new, as nothing was loaded."""
    models = compile_for_clickhouse(built["root"] / "clickhouse", incremental=True, salt=SALT)
    incremental = [name for name, node in models.items() if node["config"]["materialized"] == "incremental"]
    assert len(incremental) >= 10
    failures, counts = {}, {}
    for name in incremental:
        try:
            counts[name] = int(built["engine"].query(f"select count() from ({models[name]['compiled_code']}){SETTINGS}", "CSV").data())
        except Exception as error:  # noqa: BLE001 - every model's error is reported
            failures[name] = str(error)[:600]
    assert not failures
    # The row-level incremental models rebuild only what newer loads touch: none.
    assert {name: count for name, count in counts.items() if not name.startswith("kpi_") and count} == {}


def test_data_tests_find_on_clickhouse_what_they_find_on_duckdb(built):
    """Each of dbt's data tests, compiled for ClickHouse, selects its failing rows there: the same tests find
    rows as in the DuckDB build (warnings: the demo landing's deliberate oddities)."""
    errors, finding = {}, set()
    for name, node in built["tests"].items():
        try:
            rows = int(built["engine"].query(f"select count() from ({node['compiled_code']}){SETTINGS}", "CSV").data())
        except Exception as error:  # noqa: BLE001 - every test's error is reported
            errors[name] = str(error)[:600]
            continue
        if rows:
            finding.add(name)
    assert not errors
    assert len(built["tests"]) >= 200
    on_duckdb = {built["tests"][name]["unique_id"] for name in built["tests"]}
    found_on_duckdb = {result["unique_id"] for unique_id, result in built["duckdb_results"].items()
                       if unique_id in on_duckdb and result["status"] in ("warn", "fail")}
    assert {built["tests"][name]["unique_id"] for name in finding} == found_on_duckdb


def test_every_column_keeps_its_name(built):
    """ClickHouse names a selected t.col after its table when another joined relation has a col: the
    models alias those, so each table's columns are DuckDB's."""
    dotted = built["engine"].query(
        "select table, name from system.columns where database in ('staging', 'intermediate', 'marts') and name like '%.%'",
        "CSV").data()
    assert dotted == ""


def comparable(value):
    """A value as both engines agree to show it: numbers to the cent, dates and instants as ISO text (UTC)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()  # numpy scalars from chDB's data frame
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime.datetime):
        if value.tzinfo:
            value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return value.date().isoformat() if value.time() == datetime.time(0) else value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, (int, float, decimal.Decimal)):
        return round(float(value), 2)
    return str(value)


def mart_tables(warehouse: Path) -> list[str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return [row[0] for row in con.execute("select table_name from information_schema.tables "
                                              "where table_schema = 'marts' and table_type = 'BASE TABLE' order by 1").fetchall()]


def test_marts_equal_duckdb_to_the_cent(built):
    tables = mart_tables(built["warehouse"])
    assert {"kpi_shop_daily", "kpi_sku_daily", "kpi_finance_monthly", "dim_customers"} <= set(tables)
    different = {}
    with duckdb.connect(str(built["warehouse"]), read_only=True) as con:
        for table in tables:
            columns = [row[0] for row in con.execute(f"describe marts.{table}").fetchall() if row[0] != "_built_at"]
            double_quoted, backquoted = (", ".join(quote + c + quote for c in columns) for quote in ('"', "`"))
            duckdb_rows = con.execute(f"select {double_quoted} from marts.{table}").fetchall()
            frame = built["engine"].query(f"select {backquoted} from marts.{table}", "DataFrame")
            on_duckdb = sorted((tuple(comparable(v) for v in row) for row in duckdb_rows), key=repr)
            on_clickhouse = sorted((tuple(comparable(None if pd.isna(v) else v) for v in row)
                                    for row in frame.itertuples(index=False)), key=repr)
            assert on_duckdb, f"{table} is empty: nothing compared"
            if on_duckdb != on_clickhouse:
                different[table] = next(((a, b) for a, b in zip(on_duckdb, on_clickhouse) if a != b),
                                        (len(on_duckdb), len(on_clickhouse)))
    assert not different
