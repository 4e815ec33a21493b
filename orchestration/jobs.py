"""Jobs that span domains."""

import dagster as dg

BUILD_EVERYTHING = "build_everything"

build_everything_job = dg.define_asset_job(
    BUILD_EVERYTHING,
    selection=dg.AssetSelection.all(),
    description="Land new export files, then build everything downstream of them.",
    # Enforced by run monitoring (dagster_home/dagster.yaml): a hung run is failed, not left holding the writer pool.
    tags={"dagster/max_runtime": str(2 * 60 * 60)},
)
