"""The one place that decides where things are: environment variables, else defaults below the working directory."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ingestion.mapping import PACKAGED_MAPPINGS


@dataclass(frozen=True)
class Settings:
    landing: Path
    warehouse: Path
    quarantine: Path
    mappings: Path

    @property
    def dlt_working_dir(self) -> Path:
        """dlt's local working folder, kept beside the warehouse it loads."""
        return self.warehouse.parent / ".dlt" / self.warehouse.stem


def get_settings() -> Settings:
    return Settings(
        landing=Path(os.environ.get("ECOMOPS_LANDING", "data/landing")),
        warehouse=Path(os.environ.get("ECOMOPS_WAREHOUSE", "data/warehouse.duckdb")),
        quarantine=Path(os.environ.get("ECOMOPS_QUARANTINE", "data/quarantine")),
        mappings=Path(os.environ.get("ECOMOPS_MAPPINGS", PACKAGED_MAPPINGS)),
    )
