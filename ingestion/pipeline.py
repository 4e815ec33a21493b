"""dlt pipelines into the warehouse: one factory decides the destination for every load."""

from __future__ import annotations

import os
from pathlib import Path

import dlt

RAW_DATASET = "raw"
PIPELINE_NAME = "ecomops_landing"


def warehouse_pipeline(pipeline_name: str, dataset_name: str, warehouse: Path, working_dir: Path) -> dlt.Pipeline:
    """A dlt pipeline loading into one dataset (schema) of the DuckDB warehouse."""
    # Arrow tables skip dlt's normalizer, which only adds _dlt_load_id when asked.
    os.environ.setdefault("NORMALIZE__PARQUET_NORMALIZER__ADD_DLT_LOAD_ID", "true")
    # Merges stage each load in <dataset>_staging; empty it once merged, or it keeps a copy of the last load.
    os.environ.setdefault("LOAD__TRUNCATE_STAGING_DATASET", "true")
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    return dlt.pipeline(
        pipeline_name=pipeline_name,
        destination=dlt.destinations.duckdb(str(warehouse)),
        dataset_name=dataset_name,
        pipelines_dir=str(working_dir),
    )


def landing_pipeline(warehouse: Path, working_dir: Path) -> dlt.Pipeline:
    """The pipeline that lands export files into the `raw` schema."""
    return warehouse_pipeline(PIPELINE_NAME, RAW_DATASET, warehouse, working_dir)
