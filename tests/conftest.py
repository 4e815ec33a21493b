"""Shared fixtures: small landing folders written by the tests, loaded into real DuckDB files."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import random
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import psycopg2
import pytest
import xlsxwriter
from xdist.scheduler import LoadScopeScheduling

# Daily partitions start with the test data: the default ECOMOPS_FIRST_BUSINESS_DATE is the demo generator's first day.
from ecomops.settings import DERIVED_PATHS
from ingestion import load_landing
from ingestion.mapping import PACKAGED_MAPPINGS
from ingestion.source import IngestReport

SHOPS_YAML = """\
shops:
  - {shop_code: tb01, platform: taobao, shop_name: 示例淘宝店}
  - {shop_code: tm01, platform: tmall, shop_name: 示例天猫店}
  - {shop_code: jd01, platform: jd, shop_name: 示例京东店}
  - {shop_code: pdd01, platform: pdd, shop_name: 示例拼多多店}
  - {shop_code: dy01, platform: douyin, shop_name: 示例抖音小店, timezone: Asia/Shanghai}
"""


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8", title_lines: list[str] = ()) -> bytes:
    buffer = io.StringIO()
    for line in title_lines:
        buffer.write(line + "\n")
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


class Landing:
    """A landing folder under construction, plus the warehouse it loads into."""

    def __init__(self, root: Path):
        self.root = root / "landing"
        self.warehouse = root / "warehouse.duckdb"
        self.quarantine = root / "quarantine"
        self.working_dir = root / ".dlt"
        self.root.mkdir(parents=True)
        (self.root / "shops.yaml").write_text(SHOPS_YAML, encoding="utf-8")

    def write(self, relative: str, content: bytes) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        return path

    def write_csv(self, relative: str, rows: list[list[str]], encoding: str = "utf-8", title_lines: list[str] = ()) -> Path:
        return self.write(relative, csv_bytes(rows, encoding, title_lines))

    def write_xlsx(self, relative: str, rows: list[list[object]]) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        with xlsxwriter.Workbook(str(path), {"constant_memory": True}) as book:
            sheet = book.add_worksheet()
            for r, row in enumerate(rows):
                for c, value in enumerate(row):
                    sheet.write(r, c, value)
        return path

    def load(self, mappings_dir: Path = PACKAGED_MAPPINGS) -> IngestReport:
        return load_landing(self.root, self.warehouse, self.quarantine, self.working_dir, mappings_dir)

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(sql).fetchall()

    def count(self, table: str) -> int:
        return self.query(f"select count(*) from raw.{table}")[0][0]

    def ledger(self, relative: str) -> dict:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            cursor = con.execute("select * from raw.ingest_files where _source_file = ?", [relative])
            names = [d[0] for d in cursor.description]
            rows = cursor.fetchall()
        assert len(rows) == 1, f"expected one ledger row for {relative}, got {rows}"
        return dict(zip(names, rows[0]))


@pytest.fixture
def isolated_env(monkeypatch, tmp_path):
    """Every path variable in tmp_path, for the settings a test builds from the environment."""
    derived = [variable for variable, _ in DERIVED_PATHS.values()]
    for name in ("ECOMOPS_LANDING", "ECOMOPS_WAREHOUSE", *derived):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))


@pytest.fixture
def landing(tmp_path: Path) -> Landing:
    return Landing(tmp_path)


@pytest.fixture
def make_landing(tmp_path: Path) -> Callable[[str], Landing]:
    return lambda name: Landing(tmp_path / name)


# The modules of the session's demo warehouses (`dashboard_warehouse`, `postgres_warehouse`): one pytest-xdist
# worker runs them all, so those warehouses are built once.
DEMO_WAREHOUSE_MODULES = {"test_dashboard_api", "test_dashboard_browser", "test_dashboard_postgres",
                          "test_postgres_readers"}


class ModuleScheduling(LoadScopeScheduling):
    """pytest-xdist hands out whole modules (their module fixtures are built once), the demo warehouses' modules
    as one. (`--dist loadgroup` would do it by marks, but pytest 9 ignores the node ids xdist 3.8 rewrites.)"""

    def _split_scope(self, nodeid: str) -> str:
        module = nodeid.split("::", 1)[0]
        return "demo_warehouses" if Path(module).stem in DEMO_WAREHOUSE_MODULES else module


def pytest_configure(config: pytest.Config) -> None:
    """The crash tests' random seed (a test id), drawn once in the process that starts pytest-xdist's workers,
    which inherit it: every worker must collect the same ids."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        os.environ.setdefault("ECOMOPS_CRASH_SEED", str(random.SystemRandom().randrange(10**6)))


def pytest_xdist_make_scheduler(config: pytest.Config, log) -> ModuleScheduling:
    return ModuleScheduling(config, log)


DASHBOARD_DEMO = {"shops": 5, "days": 45, "seed": 7}  # a fixed seed: the README's screenshots come from it


@pytest.fixture(scope="session")
def dashboard_warehouse(tmp_path_factory) -> Path:
    """A demo warehouse built once per session by `ecomops generate` + `ecomops run`, its serving copy published."""
    from dashboard_harness import build_demo_warehouse

    return build_demo_warehouse(tmp_path_factory.mktemp("dashboard"), **DASHBOARD_DEMO)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A real PostgreSQL server's superuser URL: the one `.ci/run` started, else a throwaway cluster of our own.

    With pytest-xdist only the first worker uses the given server; each other worker starts its own, since
    roles are the cluster's (two workers granting `ecomops_reader` would reset each other's password).
    """
    from postgres_server import throwaway_postgres

    if os.environ.get("ECOMOPS_TEST_POSTGRES_URL") and os.environ.get("PYTEST_XDIST_WORKER", "gw0") == "gw0":
        yield os.environ["ECOMOPS_TEST_POSTGRES_URL"]
        return
    with throwaway_postgres() as url:
        yield url


@pytest.fixture
def postgres_database(postgres_server: str, request: pytest.FixtureRequest) -> str:
    """An empty database of this test's own on the server: its URL."""
    from postgres_server import create_database

    name = "t_" + hashlib.sha1(request.node.nodeid.encode()).hexdigest()[:16]
    return create_database(postgres_server, name)


POSTGRES_OWNER = "ecomops_pipeline"  # the pipeline's own login: owns the database, may create roles, no superuser


@dataclass(frozen=True)
class PostgresWarehouse:
    owner_url: str
    reader_role: str
    reader_password: str
    reader_url: str


@pytest.fixture(scope="session")
def postgres_warehouse(postgres_server, dashboard_warehouse, tmp_path_factory) -> PostgresWarehouse:
    """A Postgres warehouse built by a real run of the pipeline (ECOMOPS_TARGET=postgres) on the landing
    `dashboard_warehouse` was built from, its reader role `ecomops_reader` granted (statement timeout 2 s).

    The run connects as a login that owns the database, may create roles and is no superuser, as the
    pipeline's should be. The same landing: the dashboard's numbers on Postgres are those of the DuckDB run.
    """
    import dagster as dg
    from pipeline_runs import build, use_landing, use_postgres, without_alert_channels
    from postgres_server import create_database

    from serving.postgres_readers import ensure_reader_role, reader_url

    database = "t_postgres_warehouse"
    admin = create_database(postgres_server, database)
    password = secrets.token_hex(12)
    connection = psycopg2.connect(postgres_server)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("select 1 from pg_roles where rolname = %s", [POSTGRES_OWNER])
        verb = "alter" if cursor.fetchone() else "create"
        cursor.execute(f"{verb} role {POSTGRES_OWNER} login createrole password %s", [password])
        cursor.execute(f"alter database {database} owner to {POSTGRES_OWNER}")
    connection.close()
    owner = reader_url(admin, POSTGRES_OWNER, password)
    landing = dashboard_warehouse.parent / "landing"  # dashboard_harness.build_demo_warehouse generated it there
    with pytest.MonkeyPatch.context() as env, dg.instance_for_test() as instance:
        without_alert_channels(env)
        use_landing(env, tmp_path_factory.mktemp("postgres_warehouse"), landing)
        use_postgres(env, owner, "ecomops_reader")
        build(instance)
    with psycopg2.connect(owner) as connection, connection.cursor() as cursor:
        cursor.execute("select count(*) from marts.kpi_shop_daily")
        assert cursor.fetchone()[0] > 0
    connection.close()
    reader_password = secrets.token_hex(12)
    ensure_reader_role(owner, "ecomops_reader", reader_password, "2s")
    return PostgresWarehouse(owner, "ecomops_reader", reader_password,
                             reader_url(owner, "ecomops_reader", reader_password))
