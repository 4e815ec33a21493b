"""Warehouse paths as a Dagster resource, and the pool every warehouse writer shares.

DuckDB lets one read-write process hold the file: every asset that writes it
runs in the `warehouse` pool, whose limit is 1 (see dagster_home/dagster.yaml).
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb

from ecomops.settings import Settings, get_settings
from ecomops.warehouse import table_row_counts

WAREHOUSE_POOL = "warehouse"
# What readers get in the serving copy: the marts (facts, dimensions, KPIs), alerts, quality results and
# quarantined rows, and the file ledger the landing sensor compares with. Raw, staging and intermediate
# data stay in the warehouse: copying them would cost a run time in proportion to the whole history.
PUBLISHED_SCHEMAS = ("marts", "alerts", "quality", "quarantine")
PUBLISHED_TABLES = (("raw", "ingest_files"),)


class WarehouseResource(dg.ConfigurableResource):
    """Where the landing folder, the DuckDB warehouse and quarantined files are."""

    landing: str
    warehouse: str
    quarantine: str
    mappings: str
    serving: str

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> WarehouseResource:
        settings = settings or get_settings()
        return cls(landing=str(settings.landing), warehouse=str(settings.warehouse),
                   quarantine=str(settings.quarantine), mappings=str(settings.mappings),
                   serving=str(settings.serving))

    @property
    def settings(self) -> Settings:
        return Settings(landing=Path(self.landing), warehouse=Path(self.warehouse),
                        quarantine=Path(self.quarantine), mappings=Path(self.mappings),
                        serving=Path(self.serving))

    def publish_serving_copy(self) -> Path:
        """Copy the published tables into a new file, then rename it over the serving copy.

        Readers (BI tools, the landing sensor) open only the serving copy: a
        reader holding the old file keeps reading it, the next one opens the new
        file, and neither ever takes a lock on the file runs write.
        """
        target = Path(self.serving)
        staging = target.with_name(f".{target.name}.publishing")
        staging.unlink(missing_ok=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        with duckdb.connect(self.warehouse) as con:
            tables = [(schema, table) for schema, table in con.execute(
                "select schema_name, table_name from duckdb_tables() where database_name = current_database()"
            ).fetchall() if schema in PUBLISHED_SCHEMAS or (schema, table) in PUBLISHED_TABLES]
            con.execute(f"attach '{staging}' as serving_copy")
            for schema, table in tables:
                con.execute(f'create schema if not exists serving_copy."{schema}"')
                con.execute(f'create table serving_copy."{schema}"."{table}" as select * from "{schema}"."{table}"')
            con.execute("detach serving_copy")
        staging.replace(target)  # atomic on one filesystem
        return target

    def rows_by_schema(self) -> dict[str, int]:
        """Rows held in the tables (not views, not dlt's bookkeeping) of each schema: the size of each layer."""
        with duckdb.connect(self.warehouse, read_only=True) as con:
            counts = table_row_counts(con)
        totals: dict[str, int] = {}
        for (schema, table), rows in counts.items():
            if not table.startswith("_dlt"):
                totals[schema] = totals.get(schema, 0) + rows
        return totals

    def row_counts(self, schema: str) -> dict[str, int]:
        """Exact row count of every table in a schema (read right after a write, in the same pool slot)."""
        with duckdb.connect(self.warehouse, read_only=True) as con:
            return {table: rows for (_, table), rows in table_row_counts(con, schema).items()}
