"""The one place that decides where things are: environment variables, else defaults.

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
BUYER_SALT_ENV = "ECOMOPS_BUYER_SALT"
DEFAULT_LANDING = Path("data/landing")
DEFAULT_WAREHOUSE = Path("data/warehouse.duckdb")
# What a run derives from warehouse <dir>/<stem>.duckdb: field -> (override variable, path relative to <dir>).
DERIVED_PATHS = {
    "serving": ("ECOMOPS_SERVING", "{stem}.serving.duckdb"),
    "quarantine": ("ECOMOPS_QUARANTINE", "{stem}.quarantine"),
    "dlt_working_dir": ("ECOMOPS_DLT_DIR", ".dlt/{stem}"),
    "buyer_salt_file": ("ECOMOPS_BUYER_SALT_FILE", ".{stem}.buyer_salt"),
    "run_summary": ("ECOMOPS_RUN_SUMMARY", "{stem}.run_summary.json"),
}
# Before salts had one file per warehouse, every warehouse of a folder shared this one.
SHARED_SALT_FILE = ".buyer_salt"


@dataclass(frozen=True)
class WarehousePaths:
    """Every file the runs of one warehouse read or write."""

    landing: Path
    mappings: Path
    warehouse: Path
    serving: Path
    quarantine: Path
    dlt_working_dir: Path
    buyer_salt_file: Path
    run_summary: Path

    def buyer_salt(self) -> str:
        """The salt of buyer hashes: $ECOMOPS_BUYER_SALT, else the warehouse's salt file, created once.

        Never in code or git. Keep it: a new salt changes every buyer hash in the marts. A warehouse
        first salted when its folder's warehouses shared one file keeps that salt, and so its hashes.
        """
        if os.environ.get(BUYER_SALT_ENV):
            return os.environ[BUYER_SALT_ENV]
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


@dataclass(frozen=True)
class Settings(WarehousePaths):
    daily_cron: str = "30 6 * * *"
    business_timezone: str = "Asia/Shanghai"
    first_business_date: str = "2025-01-01"
    alert_rules: Path = PACKAGED_ALERT_RULES
    # `ecomops serve`: who may log in (a users file of password hashes and shop limits), or the header a
    # reverse proxy names its authenticated user in; the key signing session cookies (a secret: env only).
    dashboard_users: Path | None = None
    dashboard_identity_header: str | None = None
    dashboard_session_key: str | None = field(default=None, repr=False)


def warehouse_paths(warehouse: Path, landing: Path, mappings: Path = PACKAGED_MAPPINGS,
                    overrides: Mapping[str, str] | None = None) -> WarehousePaths:
    """A warehouse's paths: each derived one beside the warehouse unless `overrides` (variables) names it."""
    overrides = overrides or {}
    derived = {name: Path(overrides[variable]) if overrides.get(variable)
               else warehouse.parent / pattern.format(stem=warehouse.stem)
               for name, (variable, pattern) in DERIVED_PATHS.items()}
    return WarehousePaths(landing=landing, mappings=mappings, warehouse=warehouse, **derived)


def get_settings(environ: Mapping[str, str] = os.environ) -> Settings:
    paths = warehouse_paths(
        warehouse=Path(environ.get("ECOMOPS_WAREHOUSE") or DEFAULT_WAREHOUSE),
        landing=Path(environ.get("ECOMOPS_LANDING") or DEFAULT_LANDING),
        mappings=Path(environ.get("ECOMOPS_MAPPINGS") or PACKAGED_MAPPINGS),
        overrides=environ,
    )
    return Settings(
        **{field.name: getattr(paths, field.name) for field in fields(WarehousePaths)},
        daily_cron=environ.get("ECOMOPS_DAILY_CRON", "30 6 * * *"),
        first_business_date=environ.get("ECOMOPS_FIRST_BUSINESS_DATE", "2025-01-01"),
        alert_rules=Path(environ.get("ECOMOPS_ALERT_RULES", PACKAGED_ALERT_RULES)),
        dashboard_users=Path(environ["ECOMOPS_DASHBOARD_USERS"]) if environ.get("ECOMOPS_DASHBOARD_USERS") else None,
        dashboard_identity_header=environ.get("ECOMOPS_DASHBOARD_IDENTITY_HEADER") or None,
        dashboard_session_key=environ.get("ECOMOPS_DASHBOARD_SESSION_KEY") or None,
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


def environment_value(name: str) -> str | None:
    """A value the configuration names by variable (alert channel URLs and secrets): never in files or code."""
    return os.environ.get(name) or None
