"""A platform's sync run into the warehouse: the source loaded by a dlt pipeline of the platform's own (its state
holds the shops' cursors), load after load of at most `windows_per_load` windows until caught up, so a long
backfill keeps what it read when it is killed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timezone, timedelta
from typing import Any

from dlt.pipeline.exceptions import PipelineStepFailed

from ecomops.settings import WarehousePaths
from ingestion.pipeline import RAW_DATASET, warehouse_pipeline
from platform_sync.client import SyncStats
from platform_sync.source import DEFAULT_OVERLAP, sync_source, unwrap_sync_error

WINDOWS_PER_LOAD = 48  # windows a load holds before it commits: a killed backfill keeps what it read
PLATFORM_DAY = timezone(timedelta(hours=8))  # a backfill's first day, in the platforms' time (GMT+8)
TOKEN_FOLDER = "platform_tokens"  # below the warehouse's dlt working folder: never in git, never in the warehouse


def pipeline_name(platform: str) -> str:
    return f"ecomops_sync_{platform}"


def day_start(day: str) -> datetime:
    """YYYY-MM-DD (`ecomops sync --since`, a backfill's `since`) as its first moment in platform time."""
    return datetime.combine(date.fromisoformat(day), time(), PLATFORM_DAY)


def progress_line(platform: str, stats: SyncStats) -> str:
    """How far a sync is, for its log or terminal: windows done of all, records read."""
    return f"{platform}: {stats.windows} of {stats.windows + stats.windows_left} windows, {stats.records} records"


def sync_platform(paths: WarehousePaths, platform: str, shops: Sequence[str], *, windows_per_load: int | None = WINDOWS_PER_LOAD,
                  stats: SyncStats | None = None, progress: Callable[[SyncStats], None] | None = None,
                  backfill: datetime | None = None, **options: Any) -> SyncStats:
    """Sync the shops' orders and refunds into raw.<platform>_api_*; `options` go to `platform_source`.
    `progress` is called after each load (windows done, `windows_left`, records so far; `progress_line` says
    it). `backfill` reads again from that moment (see `platform_source`), the first load only: the next ones
    walk on from the cursors. A SyncError (bad signature, revoked token, missing permission...) is raised as
    itself."""
    stats = stats if stats is not None else SyncStats()
    options.setdefault("token_folder", str(paths.dlt_working_dir / TOKEN_FOLDER))
    overlap = options.pop("overlap", DEFAULT_OVERLAP)
    pipeline = warehouse_pipeline(pipeline_name(platform), RAW_DATASET, paths)
    first = True
    while True:
        stats.windows_left = 0
        source = sync_source(platform, shops, stats=stats, max_windows=windows_per_load,
                             overlap=overlap if first else timedelta(0), backfill=backfill if first else None,
                             **options)
        try:
            pipeline.run(source).raise_on_failed_jobs()
        except PipelineStepFailed as failed:
            error = unwrap_sync_error(failed)
            if error is None:
                raise
            raise error from failed
        first = False
        if progress is not None:
            progress(stats)
        if not stats.windows_left:
            return stats
