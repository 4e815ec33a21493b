"""dlt pipelines into the warehouse: one factory decides the destination and dlt configuration of every load."""

from __future__ import annotations

from pathlib import Path

import dlt
from dlt.common.configuration.container import Container
from dlt.common.configuration.providers import CustomLoaderDocProvider
from dlt.common.configuration.specs.pluggable_run_context import PluggableRunContext
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

from ecomops.settings import DuckDBLimits

RAW_DATASET = "raw"
PIPELINE_NAME = "ecomops_landing"
# dlt configuration of every load, as a dlt config provider: consulted after the environment and the
# .dlt/*.toml files, so those still override it.
DLT_CONFIG_PROVIDER = "ecomops"
DLT_CONFIG = {
    # Arrow tables skip dlt's normalizer, which only adds _dlt_load_id when asked.
    "normalize": {"parquet_normalizer": {"add_dlt_load_id": True}},
    # Merges stage each load in <dataset>_staging; empty it once merged, or it keeps a copy of the last load.
    "load": {"truncate_staging_dataset": True},
}


def _use_dlt_config() -> None:
    """Register the configuration with dlt's providers (again after dlt reloaded them)."""
    providers = Container()[PluggableRunContext].providers
    if DLT_CONFIG_PROVIDER not in providers:
        dlt.config.register_provider(CustomLoaderDocProvider(DLT_CONFIG_PROVIDER, lambda: DLT_CONFIG,
                                                             supports_secrets=False))


def warehouse_pipeline(pipeline_name: str, dataset_name: str, warehouse: Path, working_dir: Path,
                       limits: DuckDBLimits = DuckDBLimits()) -> dlt.Pipeline:
    """A dlt pipeline loading into one dataset (schema) of the DuckDB warehouse, within the run's DuckDB limits."""
    _use_dlt_config()
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    return dlt.pipeline(
        pipeline_name=pipeline_name,
        destination=dlt.destinations.duckdb(DuckDbCredentials(str(warehouse), global_config=limits.config())),
        dataset_name=dataset_name,
        pipelines_dir=str(working_dir),
    )


def landing_pipeline(warehouse: Path, working_dir: Path, limits: DuckDBLimits = DuckDBLimits()) -> dlt.Pipeline:
    """The pipeline that lands export files into the `raw` schema."""
    return warehouse_pipeline(PIPELINE_NAME, RAW_DATASET, warehouse, working_dir, limits)
