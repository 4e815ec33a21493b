"""Warehouse paths as a Dagster resource, and the pool every warehouse writer shares.

DuckDB lets one read-write process hold the file: every asset that writes it
runs in the `warehouse` pool, whose limit is 1 (see dagster_home/dagster.yaml).
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb

from ecomops.settings import Settings, get_settings

WAREHOUSE_POOL = "warehouse"


class WarehouseResource(dg.ConfigurableResource):
    """Where the landing folder, the DuckDB warehouse and quarantined files are."""

    landing: str
    warehouse: str
    quarantine: str
    mappings: str

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> WarehouseResource:
        settings = settings or get_settings()
        return cls(landing=str(settings.landing), warehouse=str(settings.warehouse),
                   quarantine=str(settings.quarantine), mappings=str(settings.mappings))

    @property
    def settings(self) -> Settings:
        return Settings(landing=Path(self.landing), warehouse=Path(self.warehouse),
                        quarantine=Path(self.quarantine), mappings=Path(self.mappings))

    def row_counts(self, schema: str) -> dict[str, int]:
        """Exact row count of every table in a schema (read right after a write, in the same pool slot)."""
        with duckdb.connect(self.warehouse, read_only=True) as con:
            tables = [r[0] for r in con.execute(
                "select table_name from information_schema.tables where table_schema = ? order by 1", [schema]
            ).fetchall()]
            return {t: con.execute(f'select count(*) from "{schema}"."{t}"').fetchall()[0][0] for t in tables}
