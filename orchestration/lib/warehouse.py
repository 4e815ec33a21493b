"""Warehouse paths as a Dagster resource, the one place Dagster code opens the warehouse, and the writers' pool.

DuckDB lets one read-write process hold the file: every asset that writes it runs in the `warehouse`
pool, whose limit is 1 (see dagster_home/dagster.yaml). A read-only connection fails while a writer
holds the file, so readers of the live warehouse run in that pool too, after the write. On Postgres
(`target`) the same pool keeps one writer at a time; readers never wait on it there.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from ecomops.settings import DEFAULT_TARGET, PATH_FIELDS, DuckDBLimits, WarehousePaths
from ingestion.warehouse import DuckDbConnection, WarehouseConnection, connect_warehouse
from serving.publish import ServingPublication, publish_serving_copy

WAREHOUSE_POOL = "warehouse"


class WarehouseResource(dg.ConfigurableResource):
    """Every path of one warehouse's runs: its landing folder, mappings, the DuckDB file and what runs derive from it.

    Each is explicit (see `ecomops.settings.WarehousePaths`): none falls back to a default that could be
    another warehouse's file.
    """

    landing: str
    mappings: str
    warehouse: str
    serving: str
    quarantine: str
    dlt_working_dir: str
    dbt_target_dir: str
    buyer_salt_file: str
    run_summary: str
    target: str = DEFAULT_TARGET  # duckdb: the file `warehouse`; postgres: the database of $ECOMOPS_POSTGRES_URL
    duckdb_memory_limit: str
    duckdb_threads: int

    @classmethod
    def from_settings(cls, paths: WarehousePaths) -> WarehouseResource:
        return cls(**{name: str(getattr(paths, name)) for name in PATH_FIELDS}, target=paths.target,
                   duckdb_memory_limit=paths.duckdb.memory_limit, duckdb_threads=paths.duckdb.threads)

    @property
    def settings(self) -> WarehousePaths:
        """This warehouse's paths, target and DuckDB limits, exactly those the resource was given (secrets: the
        run's environment)."""
        return WarehousePaths(**{name: Path(getattr(self, name)) for name in PATH_FIELDS}, target=self.target,
                              duckdb=DuckDBLimits(self.duckdb_memory_limit, self.duckdb_threads))

    def publish_serving_copy(self, unique_keys: Mapping[tuple[str, str], Sequence[str]]) -> ServingPublication:
        """Publish this warehouse's serving copy (see `serving.publish.publish_serving_copy`)."""
        return publish_serving_copy(self.settings, unique_keys)

    @contextmanager
    def connect(self, read_only: bool = False, database: str | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection to the warehouse (or another file of its runs, e.g. the serving copy), through dagster-duckdb.

        Closed on leaving, also when the block raises (DuckDBResource closes only on success): a connection
        left open would keep the file from the next writer of this process.
        """
        limits = self.settings.duckdb.config()
        resource = DuckDBResource(database=database or self.warehouse,
                                  connection_config={**limits, "access_mode": "READ_ONLY"} if read_only else limits)
        with resource.get_connection() as con:
            try:
                yield con
            finally:
                con.close()

    @contextmanager
    def open_warehouse(self, read_only: bool = False) -> Iterator[WarehouseConnection]:
        """The warehouse itself, DuckDB file or Postgres database (see `ingestion.warehouse`), closed on leaving."""
        if self.settings.on_postgres:
            with connect_warehouse(self.settings, read_only=read_only) as con:
                yield con
        else:
            with self.connect(read_only=read_only) as con:
                yield DuckDbConnection(con, read_only=read_only)

    def rows_by_schema(self) -> dict[str, int]:
        """Rows held in the tables (not views, not dlt's bookkeeping) of each schema: the size of each layer."""
        with self.open_warehouse(read_only=True) as con:
            counts = con.row_counts()
        totals: dict[str, int] = {}
        for (schema, table), rows in counts.items():
            if not table.startswith("_dlt"):
                totals[schema] = totals.get(schema, 0) + rows
        return totals

    def row_counts(self, schema: str) -> dict[str, int]:
        """Exact row count of every table in a schema (read right after a write, in the same pool slot)."""
        with self.open_warehouse(read_only=True) as con:
            return {table: rows for (_, table), rows in con.row_counts(schema).items()}

