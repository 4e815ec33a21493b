"""Readers get a role, not a copy: the reader role on a real Postgres server, and a dbt run beside a long reader.

The warehouse here is a real run's on Postgres (the `postgres_warehouse` fixture): every layer, as the pipeline's
own non-superuser login built it.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import dagster as dg
import psycopg2
import psycopg2.errors
import pytest

from ecomops.settings import get_settings
from orchestration.lib.warehouse import WarehouseResource
from orchestration.serving.assets import READER_GRANTS_KEY, reader_grants_asset
from serving.postgres_readers import ensure_reader_role, reader_url, scram_verifier

PIPELINE_SCHEMAS = ("raw", "staging", "intermediate", "quarantine")
READER_PASSWORD = secrets.token_hex(12)  # of the roles the tests below make for themselves


def as_user(url: str, user: str, password: str) -> str:
    return reader_url(url, user, password)


def rows(url: str, query: str, parameters=()) -> list[tuple]:
    connection = psycopg2.connect(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(query, list(parameters))
            return cursor.fetchall()
    finally:
        connection.close()


def test_the_reader_selects_marts_and_alerts(postgres_warehouse):
    reader = postgres_warehouse.reader_url
    assert rows(reader, "select count(*) from marts.kpi_shop_daily")[0][0] > 0
    assert rows(reader, "select count(*) from alerts.kpi_alerts")[0][0] >= 0
    assert rows(reader, "select current_user, current_setting('transaction_read_only')") == [
        (postgres_warehouse.reader_role, "on")]


@pytest.mark.parametrize("schema", PIPELINE_SCHEMAS)
def test_the_reader_is_denied_every_pipeline_schema(postgres_warehouse, schema):
    tables = rows(postgres_warehouse.owner_url, "select table_name from information_schema.tables "
                  "where table_schema = %s order by 1", [schema])
    assert tables, f"the run left no table in {schema}"
    with pytest.raises(psycopg2.errors.InsufficientPrivilege, match=f"permission denied for schema {schema}"):
        rows(postgres_warehouse.reader_url, f'select count(*) from "{schema}"."{tables[0][0]}"')


def test_the_reader_writes_nothing_even_in_a_read_write_transaction(postgres_warehouse):
    connection = psycopg2.connect(postgres_warehouse.reader_url)
    try:
        with connection.cursor() as cursor:
            with pytest.raises(psycopg2.errors.ReadOnlySqlTransaction):
                cursor.execute("delete from marts.kpi_shop_daily")
            connection.rollback()
            cursor.execute("set transaction read write")
            with pytest.raises(psycopg2.errors.InsufficientPrivilege, match="permission denied for table"):
                cursor.execute("delete from marts.kpi_shop_daily")
            connection.rollback()
            cursor.execute("set transaction read write")
            with pytest.raises(psycopg2.errors.InsufficientPrivilege, match="permission denied for schema"):
                cursor.execute("create table marts.mine (x int)")
    finally:
        connection.close()


def test_the_statement_timeout_cancels_a_long_reader_query(postgres_warehouse):
    reader = postgres_warehouse.reader_url
    assert rows(reader, "select current_setting('statement_timeout'), "
                "current_setting('idle_in_transaction_session_timeout')") == [("2s", "2s")]
    with pytest.raises(psycopg2.errors.QueryCanceled, match="statement timeout"):
        rows(reader, "select count(*), pg_sleep(30) from marts.kpi_shop_daily")


def test_grants_are_idempotent_and_tables_built_later_stay_readable(postgres_warehouse):
    first = ensure_reader_role(postgres_warehouse.owner_url, postgres_warehouse.reader_role,
                               postgres_warehouse.reader_password, "2s")
    again = ensure_reader_role(postgres_warehouse.owner_url, postgres_warehouse.reader_role,
                               postgres_warehouse.reader_password, "2s")
    assert first == again and set(PIPELINE_SCHEMAS) <= set(again.withheld_schemas)
    owner = psycopg2.connect(postgres_warehouse.owner_url)
    owner.autocommit = True
    try:
        with owner.cursor() as cursor:  # as dbt rebuilds a table: a new table renamed into place
            cursor.execute("create table marts.kpi_rebuilt__dbt_tmp as select 1 as kept")
            cursor.execute("alter table marts.kpi_rebuilt__dbt_tmp rename to kpi_rebuilt")
            cursor.execute("create table raw.new_export as select 'buyer' as buyer_nick")
        assert rows(postgres_warehouse.reader_url, "select kept from marts.kpi_rebuilt") == [(1,)]
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            rows(postgres_warehouse.reader_url, "select * from raw.new_export")
    finally:
        with owner.cursor() as cursor:  # the session's other tests read this warehouse as it was
            cursor.execute("drop table if exists marts.kpi_rebuilt, raw.new_export")
        owner.close()


def test_the_verifier_is_what_postgres_stores_for_the_password(postgres_server):
    """Postgres hashes a plain password itself: our verifier of it, with the same salt, is the same string."""
    connection = psycopg2.connect(postgres_server)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("select 1 from pg_roles where rolname = 'ecomops_verifier_check'")
            verb = "alter" if cursor.fetchone() else "create"
            cursor.execute(f"{verb} role ecomops_verifier_check password %s", [READER_PASSWORD])
            cursor.execute("select rolpassword from pg_authid where rolname = 'ecomops_verifier_check'")
            (stored,) = cursor.fetchone()
            cursor.execute("drop role ecomops_verifier_check")
    finally:
        connection.close()
    iterations, salt = stored.removeprefix("SCRAM-SHA-256$").split("$")[0].split(":")
    assert scram_verifier(READER_PASSWORD, base64.b64decode(salt), int(iterations)) == stored
    with pytest.raises(ValueError, match="ASCII"):
        scram_verifier("密码")


def test_the_serving_step_grants_the_reader_role_on_postgres(postgres_database, tmp_path, monkeypatch):
    # The Dagster resource reads secrets from the run's environment, as a real run does.
    for name, value in {"ECOMOPS_TARGET": "postgres", "ECOMOPS_POSTGRES_URL": postgres_database,
                        "ECOMOPS_READER_ROLE": "ecomops_reader_asset", "ECOMOPS_READER_PASSWORD": READER_PASSWORD,
                        "ECOMOPS_READER_STATEMENT_TIMEOUT": "5s"}.items():
        monkeypatch.setenv(name, value)
    settings = get_settings(os.environ, warehouse=tmp_path / "w.duckdb")
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        result = dg.materialize([reader_grants_asset([], settings)], instance=instance,
                                resources={"warehouse": WarehouseResource.from_settings(settings)})
        assert result.success
        metadata = instance.get_latest_materialization_event(READER_GRANTS_KEY).asset_materialization.metadata
    assert metadata["reader_role"].value == "ecomops_reader_asset"
    assert metadata["password_set"].value is True
    assert json.loads(settings.run_summary.read_text(encoding="utf-8"))["reader_role"] == "ecomops_reader_asset"
    reader = as_user(postgres_database, "ecomops_reader_asset", READER_PASSWORD)
    assert rows(reader, "select current_setting('statement_timeout')") == [("5s",)]


# --- a dbt-postgres build of a mart while a reader holds a long query on it ---------------------------------

DBT_PROJECT = """\
name: readers_swap
version: "1.0"
profile: readers_swap
"""
PROFILES = """\
readers_swap:
  target: pg
  outputs:
    pg:
      type: postgres
      host: "{host}"
      port: {port}
      user: "{user}"
      password: "{{{{ env_var('READERS_SWAP_PASSWORD') }}}}"
      dbname: "{database}"
      schema: marts
      threads: 1
"""
# The rebuild takes `build_seconds` inside its CREATE TABLE AS: the reader starts its query meanwhile.
TABLE_MODEL = """\
{{ config(materialized='table') }}
with slow as (select pg_sleep({{ var('build_seconds', 0) }}))
select day::date as date, 'tb01' as shop_code, {{ var('build', 1) }} as build
from generate_series('2026-10-01'::date, '2026-10-30'::date, interval '1 day') as day, slow
"""
INCREMENTAL_MODEL = """\
{{ config(materialized='incremental', unique_key='date', incremental_strategy='delete+insert') }}
select date, shop_code, {{ var('build', 1) }} as build from {{ ref('kpi_shop_daily') }}
"""
SWAP_READER = "ecomops_reader_swap"
WAITING = 120  # seconds a step below may take before the test gives up on it (never an assertion on time)


def dbt_build(project: Path, server_url: str, select: str | None = None, **variables) -> subprocess.Popen:
    """`dbt build` of the project (or of `select`) on Postgres, in its own process, as the pipeline runs dbt."""
    parts = urlsplit(server_url)
    (project / "profiles.yml").write_text(PROFILES.format(host=parts.hostname, port=parts.port, user=parts.username,
                                                          database=parts.path.lstrip("/")))
    environment = {**os.environ, "READERS_SWAP_PASSWORD": parts.password, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    return subprocess.Popen([str(Path(sys.executable).parent / "dbt"), "build", "--project-dir", str(project),
                             "--profiles-dir", str(project), "--vars", json.dumps(variables),
                             *(["--select", select] if select else [])],
                            env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_for(url: str, query: str, parameters=(), process: subprocess.Popen | None = None) -> list[tuple]:
    """Poll `query` until it returns rows (while `process`, if given, still runs)."""
    deadline = time.monotonic() + WAITING
    while time.monotonic() < deadline:
        found = rows(url, query, parameters)
        if found:
            return found
        if process is not None and process.poll() is not None:
            raise AssertionError(f"dbt ended first:\n{process.stdout.read()}")
        time.sleep(0.05)
    raise AssertionError(f"nothing came of {query!r} in {WAITING} s")


def built_swap_project(tmp_path: Path, database_url: str) -> Path:
    """A two-model dbt project (a table and an incremental model), built once: the next build swaps them."""
    project = tmp_path / "project"
    (project / "models").mkdir(parents=True)
    (project / "dbt_project.yml").write_text(DBT_PROJECT)
    (project / "models" / "kpi_shop_daily.sql").write_text(TABLE_MODEL)
    (project / "models" / "kpi_shop_daily_incremental.sql").write_text(INCREMENTAL_MODEL)
    first = dbt_build(project, database_url, build=1)
    assert first.wait() == 0, first.stdout.read()
    return project


def test_a_dbt_build_succeeds_while_a_reader_holds_a_long_query_on_its_mart(postgres_database, tmp_path):
    project = built_swap_project(tmp_path, postgres_database)
    ensure_reader_role(postgres_database, SWAP_READER, READER_PASSWORD, "4s")
    reader = as_user(postgres_database, SWAP_READER, READER_PASSWORD)

    run = dbt_build(project, postgres_database, build=2, build_seconds=3)
    outcome: dict[str, object] = {}

    def long_reader():
        try:
            rows(reader, "select count(*), max(t.build), pg_sleep(600) from marts.kpi_shop_daily as t "
                 "join marts.kpi_shop_daily_incremental as i using (date)")
        except psycopg2.Error as error:
            outcome["error"] = error

    try:
        # While dbt's CREATE TABLE AS builds the new table, the reader starts its query on the old one.
        wait_for(postgres_database, "select pid from pg_stat_activity where state = 'active' and "
                 "query like '%%create%%kpi_shop_daily__dbt_tmp%%' and pid <> pg_backend_pid()", process=run)
        thread = threading.Thread(target=long_reader)
        thread.start()
        ((reader_pid,),) = wait_for(postgres_database, "select pid from pg_stat_activity where usename = %s "
                                    "and wait_event = 'PgSleep'", [SWAP_READER], process=run)
        # dbt's rename of the old table waits for the reader's lock: the reader's statement timeout ends it.
        blocked = wait_for(postgres_database, "select pid, query from pg_stat_activity "
                           "where %s = any(pg_blocking_pids(pid))", [reader_pid], process=run)
        assert 'rename to "kpi_shop_daily__dbt_backup"' in blocked[0][1], blocked
        output, _ = run.communicate(timeout=WAITING)
        thread.join(timeout=WAITING)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 0, output
    assert isinstance(outcome.get("error"), psycopg2.errors.QueryCanceled), outcome
    assert "statement timeout" in str(outcome["error"])
    # After the swap readers see the new table whole, and the incremental model's new rows.
    assert rows(reader, "select count(*), min(build), max(build) from marts.kpi_shop_daily") == [(30, 2, 2)]
    assert rows(reader, "select count(*), min(build), max(build) from marts.kpi_shop_daily_incremental") == [(30, 2, 2)]


def test_an_incremental_build_does_not_wait_for_a_reader_of_its_table(postgres_database, tmp_path):
    """delete+insert takes a ROW EXCLUSIVE lock, which readers' ACCESS SHARE does not block: no timeout needed."""
    project = built_swap_project(tmp_path, postgres_database)
    patient = "ecomops_reader_patient"
    ensure_reader_role(postgres_database, patient, READER_PASSWORD, "10min")
    reader = psycopg2.connect(as_user(postgres_database, patient, READER_PASSWORD))
    reader.autocommit = True
    holding = reader.cursor()
    holding.execute("select pg_backend_pid()")
    (reader_pid,) = holding.fetchone()
    thread = threading.Thread(target=lambda: _ignore_cancel(holding, "select count(*), pg_sleep(600) "
                                                            "from marts.kpi_shop_daily_incremental"))
    thread.start()
    try:
        wait_for(postgres_database, "select pid from pg_stat_activity where pid = %s and wait_event = 'PgSleep'",
                 [reader_pid])
        run = dbt_build(project, postgres_database, build=2, select="kpi_shop_daily_incremental")
        output, _ = run.communicate(timeout=WAITING)
        assert run.returncode == 0, output
        # The reader is still reading: the build neither waited for it nor cut it.
        assert rows(postgres_database, "select wait_event from pg_stat_activity where pid = %s",
                    [reader_pid]) == [("PgSleep",)]
    finally:
        rows(postgres_database, "select pg_cancel_backend(%s)", [reader_pid])
        thread.join(timeout=WAITING)
        reader.close()
    assert rows(postgres_database, "select count(*), min(build), max(build) from marts.kpi_shop_daily_incremental"
                ) == [(30, 2, 2)]


def _ignore_cancel(cursor, query: str) -> None:
    try:
        cursor.execute(query)
    except psycopg2.errors.QueryCanceled:
        pass
