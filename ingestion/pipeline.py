"""dlt pipelines into the warehouse: one factory decides the destination and dlt configuration of every load."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import dlt
from dlt.common.configuration import resolve_configuration
from dlt.common.configuration.container import Container
from dlt.common.configuration.providers import CustomLoaderDocProvider
from dlt.common.configuration.specs.pluggable_run_context import PluggableRunContext
from dlt.common.destination import Destination
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials
from dlt.destinations.impl.postgres.configuration import PostgresCredentials

from ecomops.settings import POSTGRES_URL_ENV, WarehousePaths, warehouse_paths

RAW_DATASET = "raw"
PIPELINE_NAME = "ecomops_landing"
# dlt configuration of every load, as a dlt config provider: consulted after the environment and the
# .dlt/*.toml files, so those still override it.
DLT_CONFIG_PROVIDER = "ecomops"
DLT_CONFIG = {
    # Arrow tables skip dlt's normalizer, which only adds _dlt_load_id when asked.
    "normalize": {"parquet_normalizer": {"add_dlt_load_id": True}},
    # Merges stage each load in <dataset>_staging; empty it once merged, or it keeps a copy of the last load.
    # A loaded package's job files are a second copy of everything loaded (gigabytes at scale): delete them,
    # keeping the package's state and trace.
    "load": {"truncate_staging_dataset": True, "delete_completed_jobs": True},
}
# Where dlt's own secrets name the Postgres warehouse when $ECOMOPS_POSTGRES_URL does not.
DLT_POSTGRES_CREDENTIALS = "destination.postgres.credentials"
# Arrow tables reach Postgres as CSV files streamed by COPY: dlt's default there, INSERT statements of
# literal values, is several times slower, and its parquet path needs an ADBC driver.
POSTGRES_FILE_FORMAT = "csv"


def _use_dlt_config() -> None:
    """Register the configuration with dlt's providers (again after dlt reloaded them)."""
    providers = Container()[PluggableRunContext].providers
    if DLT_CONFIG_PROVIDER not in providers:
        dlt.config.register_provider(CustomLoaderDocProvider(DLT_CONFIG_PROVIDER, lambda: DLT_CONFIG,
                                                             supports_secrets=False))


def postgres_credentials(paths: WarehousePaths) -> PostgresCredentials:
    """The Postgres warehouse's credentials: $ECOMOPS_POSTGRES_URL, else dlt's secrets (`destination.postgres.credentials`)."""
    value = paths.postgres_url() or dlt.secrets.get(DLT_POSTGRES_CREDENTIALS)
    if not value:
        raise ValueError(f"ECOMOPS_TARGET=postgres needs {POSTGRES_URL_ENV} (postgresql://user:password@host:port/"
                         f"database) or [destination.postgres] credentials in .dlt/secrets.toml")
    return resolve_configuration(PostgresCredentials(), explicit_value=value)


def warehouse_destination(paths: WarehousePaths) -> Destination:
    """The dlt destination of the settings' warehouse: the DuckDB file, or the Postgres database."""
    if paths.on_postgres:
        return dlt.destinations.postgres(credentials=postgres_credentials(paths),
                                         preferred_loader_file_format=POSTGRES_FILE_FORMAT)
    paths.warehouse.parent.mkdir(parents=True, exist_ok=True)
    # Within the run's DuckDB limits: without them the load's merge takes up to 80% of the machine's memory.
    return dlt.destinations.duckdb(DuckDbCredentials(str(paths.warehouse), global_config=paths.duckdb.config()))


def warehouse_pipeline(pipeline_name: str, dataset_name: str, paths: WarehousePaths) -> dlt.Pipeline:
    """A dlt pipeline loading into one dataset (schema) of the warehouse, working in the warehouse's dlt folder."""
    _use_dlt_config()
    return dlt.pipeline(
        pipeline_name=pipeline_name,
        destination=warehouse_destination(paths),
        dataset_name=dataset_name,
        pipelines_dir=str(paths.dlt_working_dir),
    )


def landing_pipeline(paths: WarehousePaths) -> dlt.Pipeline:
    """The pipeline that lands export files into the `raw` schema."""
    return warehouse_pipeline(PIPELINE_NAME, RAW_DATASET, paths)


def duckdb_paths(warehouse: Path, landing: Path, quarantine: Path, working_dir: Path, mappings: Path) -> WarehousePaths:
    """The paths of a DuckDB warehouse given file by file (tests, benchmarks)."""
    return replace(warehouse_paths(warehouse, landing, mappings), quarantine=quarantine, dlt_working_dir=working_dir)
