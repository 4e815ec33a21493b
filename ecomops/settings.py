"""The one place that decides where things are and how runs are scheduled: environment variables, else defaults.

Built once, by the CLI (its arguments over the environment) or by the Dagster code location (the
environment), and passed down: nothing below reads the environment for settings, nothing writes it.
Inputs (landing folder, warehouse, mappings) default below the working directory. Everything a run
derives from a warehouse lives beside it, named after it, so two warehouses in one folder never share
a file; each path keeps its own environment override.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

from dotenv import dotenv_values

# Files shipped as package data of the stage packages (see pyproject.toml), found from here: this module is
# the bottom of the import graph and imports nothing of the project.
_PACKAGES = Path(__file__).parent.parent
PACKAGED_MAPPINGS = _PACKAGES / "ingestion" / "mappings"
PACKAGED_ALERT_RULES = _PACKAGES / "alerts" / "rules.yaml"
# MetricFlow's semantic manifest, written by `make install` (dbt parse through dagster-dbt) beside the dbt manifest.
PACKAGED_SEMANTIC_MANIFEST = _PACKAGES / "transform" / "target" / "semantic_manifest.json"
BUYER_SALT_ENV = "ECOMOPS_BUYER_SALT"
# The warehouse: the embedded DuckDB file (default), or a Postgres database named by a URL (a secret: it holds the
# password). Without the URL, dlt's own secrets (`[destination.postgres] credentials` in .dlt/secrets.toml) name it.
TARGETS = ("duckdb", "postgres")
DEFAULT_TARGET = "duckdb"
POSTGRES_URL_ENV = "ECOMOPS_POSTGRES_URL"
DEFAULT_LANDING = Path("data/landing")
DEFAULT_WAREHOUSE = Path("data/warehouse.duckdb")
# What a run derives from warehouse <dir>/<stem>.duckdb: field -> (override variable, path relative to <dir>).
DERIVED_PATHS = {
    "serving": ("ECOMOPS_SERVING", "{stem}.serving.duckdb"),
    "quarantine": ("ECOMOPS_QUARANTINE", "{stem}.quarantine"),
    "dlt_working_dir": ("ECOMOPS_DLT_DIR", ".dlt/{stem}"),
    "dbt_target_dir": ("ECOMOPS_DBT_TARGET_DIR", ".dbt/{stem}"),
    "buyer_salt_file": ("ECOMOPS_BUYER_SALT_FILE", ".{stem}.buyer_salt"),
    "run_summary": ("ECOMOPS_RUN_SUMMARY", "{stem}.run_summary.json"),
}
# Before salts had one file per warehouse, every warehouse of a folder shared this one.
SHARED_SALT_FILE = ".buyer_salt"
DEFAULT_DAILY_CRON = "30 6 * * *"
DEFAULT_SYNC_CRON = "*/15 * * * *"  # platform sync (API shops): every 15 minutes
# Business days of shops whose shops.yaml entry names no timezone (dbt has its own: var default_timezone).
DEFAULT_TIMEZONE = "Asia/Shanghai"
# The daily partitions' first day: the demo data's first day (demo_data starts there), so `make demo` needs
# no setting. Set ECOMOPS_FIRST_BUSINESS_DATE to your history's first day.
DEFAULT_FIRST_BUSINESS_DATE = "2026-10-01"
# DuckDB's own defaults are 80% of the machine's memory and a thread per core, per process that opens the warehouse.
DEFAULT_DUCKDB_MEMORY_LIMIT = "2GB"


@dataclass(frozen=True)
class DuckDBLimits:
    """What one process's DuckDB may take of the machine: every connection a run opens gets the same limits.

    DuckDB spills what exceeds `memory_limit` to a temporary folder beside the database file; `threads` bounds
    its parallelism (and the buffers each thread holds). A DuckDB instance has one configuration per process:
    every connection of a run passes this one.
    """

    memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT
    threads: int = field(default_factory=lambda: os.cpu_count() or 1)

    def config(self) -> dict[str, str | int]:
        """The `config` of `duckdb.connect` (and of dlt's and dbt-duckdb's connections)."""
        return {"memory_limit": self.memory_limit, "threads": self.threads}


def duckdb_limits(environ: Mapping[str, str]) -> DuckDBLimits:
    """$ECOMOPS_DUCKDB_MEMORY_LIMIT (DuckDB's syntax: 2GB, 512MB) and $ECOMOPS_DUCKDB_THREADS, else the defaults."""
    threads = environ.get("ECOMOPS_DUCKDB_THREADS")
    return DuckDBLimits(memory_limit=environ.get("ECOMOPS_DUCKDB_MEMORY_LIMIT") or DEFAULT_DUCKDB_MEMORY_LIMIT,
                        **({"threads": int(threads)} if threads else {}))


@dataclass(frozen=True)
class WarehousePaths:
    """Every file the runs of one warehouse read or write, and what the DuckDB opening them may take."""

    landing: Path
    mappings: Path
    warehouse: Path
    serving: Path
    quarantine: Path
    dlt_working_dir: Path
    # dbt's target folders of this warehouse's runs (a folder per step): the partial parse of one warehouse
    # is not another's, and runs of two warehouses never write each other's run_results.json.
    dbt_target_dir: Path
    buyer_salt_file: Path
    run_summary: Path
    # duckdb: `warehouse` is the database; postgres: the database of `postgres_url()`, and the paths above only
    # hold what runs keep beside it (quarantine copies, dlt's working folder, the salt, the run summary).
    target: str = DEFAULT_TARGET
    duckdb: DuckDBLimits = field(default_factory=DuckDBLimits)
    # Where secrets are read (the buyer salt, alert channel URLs and keys): the environment, or what a test gives.
    # Never shown (repr) nor compared: two settings of the same paths are the same settings.
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ, repr=False, compare=False)

    def secret(self, name: str) -> str | None:
        """A value the configuration names by variable (alert channel URLs and keys): never in files or code."""
        return self.environ.get(name) or None

    @property
    def on_postgres(self) -> bool:
        return self.target == "postgres"

    def postgres_url(self) -> str | None:
        """$ECOMOPS_POSTGRES_URL (postgresql://user:password@host:port/database): a secret, never shown or logged."""
        return self.secret(POSTGRES_URL_ENV)

    def buyer_salt(self) -> str:
        """The salt of buyer hashes: $ECOMOPS_BUYER_SALT, else the warehouse's salt file, created once.

        Never in code or git. Keep it: a new salt changes every buyer hash in the marts. A warehouse
        first salted when its folder's warehouses shared one file keeps that salt, and so its hashes.
        """
        if self.secret(BUYER_SALT_ENV):
            return self.secret(BUYER_SALT_ENV)
        path = self.buyer_salt_file
        if not path.exists():
            shared = self.warehouse.parent / SHARED_SALT_FILE
            salt = shared.read_text(encoding="utf-8").strip() if shared.exists() else secrets.token_hex(16)
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(path.name + ".writing")  # never a half-written salt
            temporary.write_text(salt, encoding="utf-8")
            temporary.chmod(0o600)
            temporary.replace(path)
        return path.read_text(encoding="utf-8").strip()


# The fields of WarehousePaths that are paths (not the target, not DuckDB's limits, not the secrets' mapping).
PATH_FIELDS = tuple(f.name for f in fields(WarehousePaths) if f.name not in ("target", "duckdb", "environ"))


@dataclass(frozen=True)
class Settings(WarehousePaths):
    daily_cron: str = DEFAULT_DAILY_CRON
    sync_cron: str = DEFAULT_SYNC_CRON
    business_timezone: str = DEFAULT_TIMEZONE
    first_business_date: str = DEFAULT_FIRST_BUSINESS_DATE
    alert_rules: Path = PACKAGED_ALERT_RULES
    semantic_manifest: Path = PACKAGED_SEMANTIC_MANIFEST
    # `ecomops serve`: who may log in (a users file of password hashes and shop limits), or the header a
    # reverse proxy names its authenticated user in; the key signing session cookies (a secret: env only).
    dashboard_users: Path | None = None
    dashboard_identity_header: str | None = None
    dashboard_session_key: str | None = field(default=None, repr=False)
    # On Postgres, readers (BI tools, the dashboard) log in as this role; its password is the secret
    # $ECOMOPS_READER_PASSWORD. reader_url: where the dashboard connects, when not the warehouse's server
    # as that role (a secret: it may hold the password). See docs/postgres.md.
    reader_role: str = "ecomops_reader"
    reader_statement_timeout: str = "30s"
    reader_url: str | None = field(default=None, repr=False)


def warehouse_paths(warehouse: Path, landing: Path, mappings: Path = PACKAGED_MAPPINGS,
                    overrides: Mapping[str, str] | None = None) -> WarehousePaths:
    """A warehouse's paths: each derived one beside the warehouse unless `overrides` (variables) names it."""
    overrides = overrides or {}
    derived = {name: Path(overrides[variable]) if overrides.get(variable)
               else warehouse.parent / pattern.format(stem=warehouse.stem)
               for name, (variable, pattern) in DERIVED_PATHS.items()}
    return WarehousePaths(landing=landing, mappings=mappings, warehouse=warehouse, **derived)


def get_settings(environ: Mapping[str, str] = os.environ, landing: Path | None = None,
                 warehouse: Path | None = None) -> Settings:
    """Settings from `environ`; `landing` and `warehouse` (the CLI's arguments) win over its variables.

    The warehouse's derived paths follow the warehouse given, unless their own variables name them.
    """
    target = environ.get("ECOMOPS_TARGET") or DEFAULT_TARGET
    if target not in TARGETS:
        raise ValueError(f"ECOMOPS_TARGET is {target!r}: one of {', '.join(TARGETS)}")
    located = warehouse_paths(
        warehouse=Path(warehouse or environ.get("ECOMOPS_WAREHOUSE") or DEFAULT_WAREHOUSE),
        landing=Path(landing or environ.get("ECOMOPS_LANDING") or DEFAULT_LANDING),
        mappings=Path(environ.get("ECOMOPS_MAPPINGS") or PACKAGED_MAPPINGS),
        overrides=environ,
    )
    return Settings(
        **{name: getattr(located, name) for name in PATH_FIELDS},
        target=target,
        duckdb=duckdb_limits(environ),
        environ=environ,
        daily_cron=environ.get("ECOMOPS_DAILY_CRON") or DEFAULT_DAILY_CRON,
        sync_cron=environ.get("ECOMOPS_SYNC_CRON") or DEFAULT_SYNC_CRON,
        first_business_date=environ.get("ECOMOPS_FIRST_BUSINESS_DATE") or DEFAULT_FIRST_BUSINESS_DATE,
        alert_rules=Path(environ.get("ECOMOPS_ALERT_RULES") or PACKAGED_ALERT_RULES),
        semantic_manifest=Path(environ.get("ECOMOPS_SEMANTIC_MANIFEST") or PACKAGED_SEMANTIC_MANIFEST),
        dashboard_users=Path(environ["ECOMOPS_DASHBOARD_USERS"]) if environ.get("ECOMOPS_DASHBOARD_USERS") else None,
        dashboard_identity_header=environ.get("ECOMOPS_DASHBOARD_IDENTITY_HEADER") or None,
        dashboard_session_key=environ.get("ECOMOPS_DASHBOARD_SESSION_KEY") or None,
        reader_role=environ.get("ECOMOPS_READER_ROLE") or "ecomops_reader",
        reader_statement_timeout=environ.get("ECOMOPS_READER_STATEMENT_TIMEOUT") or "30s",
        reader_url=environ.get("ECOMOPS_READER_URL") or None,
    )


def dagster_home(environ: Mapping[str, str] = os.environ, working_dir: Path | None = None) -> Path | None:
    """Dagster's instance folder: $DAGSTER_HOME, else the DAGSTER_HOME of the working directory's `.env`.

    The Dagster CLI reads that `.env` too (`make install` writes it), so `ecomops run` from a fresh
    shell records its runs where `dagster dev` shows them. None: no instance folder is configured.
    """
    if environ.get("DAGSTER_HOME"):
        return Path(environ["DAGSTER_HOME"])
    dotenv = (working_dir or Path.cwd()) / ".env"
    home = dotenv_values(dotenv).get("DAGSTER_HOME") if dotenv.is_file() else None
    return Path(home) if home else None
