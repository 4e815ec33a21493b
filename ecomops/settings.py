"""The one place that decides where things are: environment variables, else defaults below the working directory."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from ecomops.alerts import PACKAGED_ALERT_RULES
from ingestion.mapping import PACKAGED_MAPPINGS

BUYER_SALT_ENV = "ECOMOPS_BUYER_SALT"


@dataclass(frozen=True)
class Settings:
    landing: Path
    warehouse: Path
    quarantine: Path
    mappings: Path
    serving: Path
    daily_cron: str = "30 6 * * *"
    business_timezone: str = "Asia/Shanghai"
    first_business_date: str = "2025-01-01"
    alert_rules: Path = PACKAGED_ALERT_RULES

    @property
    def dlt_working_dir(self) -> Path:
        """dlt's local working folder, kept beside the warehouse it loads."""
        return self.warehouse.parent / ".dlt" / self.warehouse.stem

    def buyer_salt(self) -> str:
        """The salt of buyer hashes: $ECOMOPS_BUYER_SALT, else one random salt kept beside the warehouse.

        Never in code or git. Keep it: a new salt changes every buyer hash in the marts.
        """
        if os.environ.get(BUYER_SALT_ENV):
            return os.environ[BUYER_SALT_ENV]
        path = self.warehouse.parent / ".buyer_salt"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(16), encoding="utf-8")
            path.chmod(0o600)
        return path.read_text(encoding="utf-8").strip()


def get_settings() -> Settings:
    return Settings(
        landing=Path(os.environ.get("ECOMOPS_LANDING", "data/landing")),
        warehouse=Path(os.environ.get("ECOMOPS_WAREHOUSE", "data/warehouse.duckdb")),
        quarantine=Path(os.environ.get("ECOMOPS_QUARANTINE", "data/quarantine")),
        mappings=Path(os.environ.get("ECOMOPS_MAPPINGS", PACKAGED_MAPPINGS)),
        serving=Path(os.environ.get("ECOMOPS_SERVING", "data/serving.duckdb")),
        daily_cron=os.environ.get("ECOMOPS_DAILY_CRON", "30 6 * * *"),
        first_business_date=os.environ.get("ECOMOPS_FIRST_BUSINESS_DATE", "2025-01-01"),
        alert_rules=Path(os.environ.get("ECOMOPS_ALERT_RULES", PACKAGED_ALERT_RULES)),
    )


def environment_value(name: str) -> str | None:
    """A value the configuration names by variable (alert channel URLs and secrets): never in files or code."""
    return os.environ.get(name) or None
