"""The serving copy on hand-made DuckDB files: incremental tables take only their new rows, the way dbt's
delete+insert wrote them; anything that cannot be replayed is copied whole; a crashed publish is repaired."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pytest

from ecomops.settings import warehouse_paths
from orchestration.lib.warehouse import WarehouseResource

KEYS = {("marts", "kpi_daily"): ("date",), ("marts", "fct_lines"): ("order_id", "line")}


@pytest.fixture
def warehouse(tmp_path: Path) -> WarehouseResource:
    resource = WarehouseResource.from_settings(warehouse_paths(tmp_path / "warehouse.duckdb", tmp_path / "landing"))
    _write(resource, """
        create schema marts; create schema alerts; create schema staging;
        create table marts.kpi_daily as select date '2026-11-01' + i::int as date, shop, i * 10 + shop as value,
            timestamptz '2026-11-10 06:00:00+08' as _built_at from range(5) t(i), range(2) s(shop);
        create table marts.fct_lines as select i // 2 as order_id, i % 2 as line, i as amount,
            timestamptz '2026-11-10 06:00:00+08' as _built_at from range(20) t(i);
        create table marts.dim_shops as select range as shop, 'shop ' || range as name from range(2);
        create table alerts.kpi_alerts as select 1 as alert_id;
        create table staging.stg_orders as select 1 as order_id;
    """)
    return resource


def _write(warehouse: WarehouseResource, sql: str) -> None:
    with duckdb.connect(warehouse.warehouse) as con:
        con.execute(sql)


def differing_rows(con: duckdb.DuckDBPyConnection, table: str, columns: Sequence[str] = ("*",)) -> int:
    """Rows of a table in the warehouse only or in the attached `serving` copy only (EXCEPT ALL both ways),
    over `columns` (all by default)."""
    select = ", ".join(columns)
    return con.execute(f"select (select count(*) from (select {select} from {table} except all select {select} from serving.{table}))"
                       f" + (select count(*) from (select {select} from serving.{table} except all select {select} from {table}))").fetchone()[0]


def _differences(warehouse: WarehouseResource) -> dict[str, int]:
    """Differing rows of every table in the serving copy or published from the warehouse."""
    with duckdb.connect(warehouse.warehouse, read_only=True) as con:
        con.execute(f"attach '{warehouse.serving}' as serving (read_only)")
        tables = {database: set(con.execute("select schema_name || '.' || table_name from duckdb_tables() "
                                            "where database_name = ? and schema_name in ('marts', 'alerts')",
                                            [database]).fetchall())
                  for database in ("warehouse", "serving")}
        if tables["warehouse"] != tables["serving"]:
            return {"tables": len(tables["warehouse"] ^ tables["serving"])}
        return {table: differing_rows(con, table) for (table,) in tables["warehouse"]}


def test_incremental_tables_take_their_new_rows_and_the_rest_is_copied_whole(warehouse):
    first = warehouse.publish_serving_copy(KEYS)
    assert first.updated == () and "marts.kpi_daily" in first.replaced
    # a dbt run: delete+insert of the days 2026-11-04 and 05 (one shop had no activity on the 5th) and a new day;
    # an order line replaced and one added; a dimension rebuilt; a model retired
    _write(warehouse, """
        delete from marts.kpi_daily where date in ('2026-11-04', '2026-11-05', '2026-11-06');
        insert into marts.kpi_daily values
            ('2026-11-04', 0, 400, '2026-11-11 06:00:00+08'), ('2026-11-04', 1, 401, '2026-11-11 06:00:00+08'),
            ('2026-11-05', 0, 500, '2026-11-11 06:00:00+08'),
            ('2026-11-06', 0, 600, '2026-11-11 06:00:00+08'), ('2026-11-06', 1, 601, '2026-11-11 06:00:00+08');
        delete from marts.fct_lines where order_id = 3 and line = 0;
        insert into marts.fct_lines values (3, 0, 1000, '2026-11-11 06:00:00+08'), (10, 0, 1, '2026-11-11 06:00:00+08');
        create or replace table marts.dim_shops as select range as shop, 'renamed ' || range as name from range(3);
        drop table alerts.kpi_alerts;
    """)
    with duckdb.connect(warehouse.serving, read_only=True) as reader:  # holds the previous copy during the publish
        second = warehouse.publish_serving_copy(KEYS)
        assert reader.execute("select count(*) from marts.dim_shops").fetchall() == [(2,)]
    assert set(second.updated) == {"marts.kpi_daily", "marts.fct_lines"}
    assert "marts.dim_shops" in second.replaced and second.dropped == ("alerts.kpi_alerts",)
    assert set(_differences(warehouse).values()) == {0}
    with duckdb.connect(warehouse.serving, read_only=True) as con:  # staging is not published
        assert con.execute("select count(*) from duckdb_tables() where schema_name = 'staging'").fetchall() == [(0,)]


@pytest.mark.parametrize("change", [
    # a full refresh: every row rebuilt, days 2026-11-04 and 05 gone
    "create or replace table marts.kpi_daily as select date '2026-11-01' + i::int as date, shop, i as value, "
    "current_timestamp as _built_at from range(3) t(i), range(2) s(shop)",
    # a new column (dbt's on_schema_change)
    "alter table marts.kpi_daily add column note varchar default 'new'",
    # the warehouse restored from an older file: its newest rows are older than the copy's
    "update marts.kpi_daily set _built_at = _built_at - interval 1 day",
])
def test_a_change_new_rows_cannot_replay_copies_the_table_whole(warehouse, change):
    warehouse.publish_serving_copy(KEYS)
    _write(warehouse, change)
    publication = warehouse.publish_serving_copy(KEYS)
    assert "marts.kpi_daily" in publication.replaced
    assert set(_differences(warehouse).values()) == {0}


def test_a_crashed_publish_leaves_the_old_copy_and_the_next_one_repairs(warehouse):
    warehouse.publish_serving_copy(KEYS)
    staging = Path(warehouse.serving).with_name(f".{Path(warehouse.serving).name}.publishing")
    # a publish killed mid-way: the half-written copy and its write-ahead log stay behind
    shutil.copyfile(warehouse.serving, staging)
    crash = (f"import duckdb, os; con = duckdb.connect({str(staging)!r}); "
             "con.execute('update marts.kpi_daily set value = -1'); os._exit(1)")
    assert subprocess.run([sys.executable, "-c", crash]).returncode == 1
    assert staging.with_name(staging.name + ".wal").exists()
    with duckdb.connect(warehouse.serving, read_only=True) as reader:
        assert reader.execute("select count(*) from marts.kpi_daily where value = -1").fetchall() == [(0,)]

    _write(warehouse, "insert into marts.kpi_daily values ('2026-11-06', 0, 600, '2026-11-11 06:00:00+08')")
    assert "marts.kpi_daily" in warehouse.publish_serving_copy(KEYS).updated
    assert set(_differences(warehouse).values()) == {0}
    assert not staging.exists() and not staging.with_name(staging.name + ".wal").exists()


def _new_day(warehouse: WarehouseResource, day: str, built_at: str) -> None:
    _write(warehouse, f"insert into marts.kpi_daily values ('{day}', 0, 1, '{built_at}'), ('{day}', 1, 2, '{built_at}')")


def test_a_publish_updates_the_file_the_one_before_replaced(warehouse):
    """The standby (the serving file the last publish replaced) is one publish behind: the next publish adds
    the rows of both runs to it and renames it in, instead of copying the whole serving file first."""
    warehouse.publish_serving_copy(KEYS)
    _new_day(warehouse, "2026-11-06", "2026-11-11 06:00:00+08")
    warehouse.publish_serving_copy(KEYS)
    standby = Path(warehouse.serving).with_name(f".{Path(warehouse.serving).name}.standby")
    standby_inode = standby.stat().st_ino
    assert standby_inode != Path(warehouse.serving).stat().st_ino
    _new_day(warehouse, "2026-11-07", "2026-11-12 06:00:00+08")
    third = warehouse.publish_serving_copy(KEYS)
    assert Path(warehouse.serving).stat().st_ino == standby_inode
    assert "marts.kpi_daily" in third.updated
    assert set(_differences(warehouse).values()) == {0}


def test_a_reader_still_on_the_standby_keeps_it_and_the_publish_copies(warehouse):
    warehouse.publish_serving_copy(KEYS)
    with duckdb.connect(warehouse.serving, read_only=True) as reader:  # opened before the next publish
        _new_day(warehouse, "2026-11-06", "2026-11-11 06:00:00+08")
        warehouse.publish_serving_copy(KEYS)  # the reader's file is now the standby
        _new_day(warehouse, "2026-11-07", "2026-11-12 06:00:00+08")
        warehouse.publish_serving_copy(KEYS)
        assert reader.execute("select count(*) from marts.kpi_daily").fetchall() == [(10,)]
    assert set(_differences(warehouse).values()) == {0}
