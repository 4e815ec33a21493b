"""Jobs that span domains."""

import dagster as dg

BUILD_EVERYTHING = "build_everything"
# Platform sync's assets carry this tag: they run on their own schedule (orchestration/sync), not in every build.
SYNC_TAG = ("ecomops/source", "platform_api")

build_everything_job = dg.define_asset_job(
    BUILD_EVERYTHING,
    # The sync's assets, not their gates: the API rows not yet gated are validated before dbt reads them.
    selection=dg.AssetSelection.all() - dg.AssetSelection.tag(*SYNC_TAG).without_checks(),
    description="Land new export files, gate them and the API rows synced since, then build everything downstream "
                "(platform sync has its own schedule).",
    # Enforced by run monitoring (dagster_home/dagster.yaml): a hung run is failed, not left holding the writer pool.
    tags={"dagster/max_runtime": str(2 * 60 * 60)},
)
