"""Platform sync: one multi-asset per platform with API shops (shops.yaml `sync: api|both`), its raw tables
raw/<platform>_api_orders and raw/<platform>_api_refunds, in the writer pool; and the schedule that runs it."""

from functools import cache

import dagster as dg

from ecomops.settings import Settings
from orchestration.jobs import SYNC_TAG
from orchestration.landing.assets import RAW_GROUP
from orchestration.lib.warehouse import WAREHOUSE_POOL, WarehouseResource
from ingestion.api_tables import api_table
from platform_sync import SyncError, SyncStats, sync_platform
from platform_sync.shops import api_shops, missing_credentials
from platform_sync.source import RESOURCES
from platform_sync.sync import day_start, progress_line

SYNC_JOB = "platform_sync"


class SyncConfig(dg.Config):
    """`since` (YYYY-MM-DD) reads every window again from that day on, in this one run: a backfill."""

    since: str = ""


def _metadata(stats: SyncStats, shops: list[str]) -> dict:
    return {"shops": dg.MetadataValue.json(shops), "windows": stats.windows, "pages": stats.pages,
            "records": stats.records, "rows": stats.rows, "retries": stats.retries,
            "throttle_waits": stats.throttle_waits, "throttle_wait_seconds": round(stats.throttle_wait_seconds, 1),
            "token_refreshes": stats.token_refreshes, "calls": stats.calls}


def _platform_sync(platform: str, shops: list[str]) -> dg.AssetsDefinition:
    @dg.multi_asset(
        name=f"{platform}_api_sync",
        specs=[dg.AssetSpec(["raw", api_table(platform, resource)], group_name=RAW_GROUP, kinds={"dlt"},
                            tags=dict([SYNC_TAG]),
                            description=f"{platform} {resource} from the open API ({', '.join(shops)})")
               for resource in RESOURCES],
        pool=WAREHOUSE_POOL,
    )
    def sync(context: dg.AssetExecutionContext, config: SyncConfig, warehouse: WarehouseResource):
        """The shops' orders and refunds changed since each shop's cursor (or since `since`), window by window."""
        since = day_start(config.since) if config.since else None

        try:
            stats = sync_platform(warehouse.settings, platform, shops, backfill=since,
                                  progress=lambda stats: context.log.info(progress_line(platform, stats)))
        except SyncError as failed:
            raise dg.Failure(str(failed), allow_retries=False) from failed
        for resource in RESOURCES:
            yield dg.MaterializeResult(asset_key=["raw", api_table(platform, resource)],
                                       metadata=_metadata(stats, shops))

    return sync


@cache
def sync_assets(settings: Settings) -> dict[str, dg.AssetsDefinition]:
    """One multi-asset per platform whose shops sync from the API, by platform; none without such shops."""
    return {platform: _platform_sync(platform, shops) for platform, shops in api_shops(settings).items()}


def sync_schedule(settings: Settings, assets: dict[str, dg.AssetsDefinition]) -> dg.ScheduleDefinition:
    """Every `ECOMOPS_SYNC_CRON` (default 15 minutes); running from the start only once every platform's app
    credentials are configured, stopped otherwise (start it in the UI after adding them)."""
    ready = not any(missing_credentials(platform) for platform in assets)
    return dg.ScheduleDefinition(
        name=SYNC_JOB,
        target=dg.AssetSelection.assets(*assets.values()),
        cron_schedule=settings.sync_cron,
        execution_timezone=settings.business_timezone,
        default_status=dg.DefaultScheduleStatus.RUNNING if ready else dg.DefaultScheduleStatus.STOPPED,
        description=f"orders and refunds of the API shops every `{settings.sync_cron}` (ECOMOPS_SYNC_CRON)",
    )
