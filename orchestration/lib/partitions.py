"""Business-day partitions of the daily KPI and alert assets, and the range a run builds."""

import datetime as dt
from functools import cache

import dagster as dg

from ecomops.settings import Settings, WarehousePaths


def business_days(settings: Settings) -> dg.DailyPartitionsDefinition:
    """One partition per business day (settings' timezone); the last one is yesterday, the last complete day."""
    return _business_days(settings.first_business_date, settings.business_timezone)


@cache
def _business_days(first_day: str, timezone: str) -> dg.DailyPartitionsDefinition:
    return dg.DailyPartitionsDefinition(start_date=first_day, timezone=timezone)


# The run tags that make one run build a range of partitions: those a single-run backfill's run carries.
RANGE_START_TAG, RANGE_END_TAG = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


def range_tags(first: str, last: str) -> dict[str, str]:
    return {RANGE_START_TAG: first, RANGE_END_TAG: last}


def run_days(context: dg.AssetExecutionContext) -> tuple[dt.date, dt.date]:
    """The first and last business day of the partitions a run materializes."""
    window = context.partition_time_window
    return window.start.date(), (window.end - dt.timedelta(days=1)).date()


def range_to_build(paths: WarehousePaths, partitions: dg.DailyPartitionsDefinition) -> tuple[str, str]:
    """The partitions a landing-driven run builds: every business day until a run of this warehouse has been
    published (its own serving copy exists; on Postgres, which has none, its run summary), then yesterday.

    The daily KPI models also rebuild the `lookback_days` before the first day, and the earlier days the
    run's new files hold (transform/macros/in_rebuild_window.sql).
    """
    last = partitions.get_last_partition_key()
    published = paths.run_summary if paths.on_postgres else paths.serving
    first = partitions.get_first_partition_key() if not published.exists() else last
    return first, last
