"""The dlt pipeline that loads the landing source into the warehouse's `raw` schema."""

from __future__ import annotations

import os
from pathlib import Path

import dlt

RAW_DATASET = "raw"
PIPELINE_NAME = "ecomops_landing"


def landing_pipeline(warehouse: Path, working_dir: Path) -> dlt.Pipeline:
    # Arrow tables skip dlt's normalizer, which only adds _dlt_load_id when asked.
    os.environ.setdefault("NORMALIZE__PARQUET_NORMALIZER__ADD_DLT_LOAD_ID", "true")
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    return dlt.pipeline(
        pipeline_name=PIPELINE_NAME,
        destination=dlt.destinations.duckdb(str(warehouse)),
        dataset_name=RAW_DATASET,
        pipelines_dir=str(working_dir),
        progress="log" if os.environ.get("ECOMOPS_DLT_PROGRESS") else None,
    )
