"""DuckDB's memory limit and threads come from the settings and reach every connection a run opens."""

from __future__ import annotations

from ecomops.settings import get_settings
from ingestion.pipeline import landing_pipeline
from orchestration.lib.warehouse import WarehouseResource
from orchestration.transform.assets import dbt_environment

LIMITS = {"ECOMOPS_DUCKDB_MEMORY_LIMIT": "700MB", "ECOMOPS_DUCKDB_THREADS": "1"}


def _setting(con, name: str) -> str:
    return con.execute(f"select current_setting('{name}')").fetchall()[0][0]


def test_the_settings_default_to_2gb_and_read_the_environment(tmp_path):
    assert get_settings({}, warehouse=tmp_path / "w.duckdb").duckdb.memory_limit == "2GB"
    limits = get_settings(LIMITS, warehouse=tmp_path / "w.duckdb").duckdb
    assert (limits.memory_limit, limits.threads) == ("700MB", 1)


def test_the_dagster_resource_and_dbt_get_the_limits(tmp_path):
    settings = get_settings({**LIMITS, "ECOMOPS_BUYER_SALT": "s"}, warehouse=tmp_path / "w.duckdb")
    resource = WarehouseResource.from_settings(settings)
    with resource.connect() as con:
        assert _setting(con, "memory_limit") in ("667.5 MiB", "700.0 MB") and _setting(con, "threads") == 1
    with resource.open_warehouse() as warehouse:  # the connection gates, alerts and the run summary use
        assert warehouse.rows("select current_setting('threads')") == [(1,)]
    env = dbt_environment(resource.settings, None)
    assert (env["ECOMOPS_DUCKDB_MEMORY_LIMIT"], env["ECOMOPS_DUCKDB_THREADS"]) == ("700MB", "1")


def test_dlt_loads_within_the_limits(tmp_path):
    pipeline = landing_pipeline(get_settings(LIMITS, warehouse=tmp_path / "w.duckdb"))
    pipeline.run([{"a": 1}], table_name="t")
    with pipeline.sql_client() as client:
        with client.execute_query("select current_setting('threads')") as cursor:
            assert cursor.fetchall()[0][0] == 1
