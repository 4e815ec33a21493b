"""Jobs that span domains."""

import dagster as dg

BUILD_EVERYTHING = "build_everything"
# Platform sync's assets carry this tag: they run on their own schedule (orchestration/sync), not in every build.
SYNC_TAG = ("ecomops/source", "platform_api")

build_everything_job = dg.define_asset_job(
    BUILD_EVERYTHING,
    selection=dg.AssetSelection.all() - dg.AssetSelection.tag(*SYNC_TAG),
    description="Land new export files, then build everything downstream of them (platform sync has its own schedule).",
    # Enforced by run monitoring (dagster_home/dagster.yaml): a hung run is failed, not left holding the writer pool.
    tags={"dagster/max_runtime": str(2 * 60 * 60)},
)
