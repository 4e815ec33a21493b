"""Landing files to raw warehouse tables with dlt."""

from __future__ import annotations

from pathlib import Path

from ecomops.settings import WarehousePaths
from ingestion.api_tables import create_api_tables
from ingestion.mapping import PACKAGED_MAPPINGS
from ingestion.pipeline import duckdb_paths, landing_pipeline
from ingestion.source import IngestReport, landing_source


def load_landing(landing: Path, warehouse: Path, quarantine_dir: Path, working_dir: Path,
                 mappings_dir: Path = PACKAGED_MAPPINGS, paths: WarehousePaths | None = None) -> IngestReport:
    """Load a landing folder without Dagster (tests, benchmarks); Dagster runs the same source.

    Into the DuckDB file `warehouse`, or the warehouse of `paths` (e.g. a Postgres one) when given.
    """
    report = IngestReport()
    paths = paths or duckdb_paths(warehouse, landing, quarantine_dir, working_dir, mappings_dir)
    source = landing_source(str(landing), str(quarantine_dir), str(mappings_dir), report=report)
    landing_pipeline(paths).run(source).raise_on_failed_jobs()
    create_api_tables(paths, mappings_dir)
    return report
