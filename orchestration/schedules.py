"""Schedules that span domains."""

import dagster as dg

from ecomops.settings import Settings
from orchestration.jobs import build_everything_job
from orchestration.lib.partitions import business_days, range_tags, range_to_build
from orchestration.lib.warehouse import WarehouseResource


def daily_refresh_schedule(settings: Settings) -> dg.ScheduleDefinition:
    """A daily safety net beside the landing sensor: ingest and rebuild yesterday at a fixed business-day time."""
    partitions = business_days(settings)

    @dg.schedule(
        name="daily_refresh",
        job=build_everything_job,
        cron_schedule=settings.daily_cron,
        execution_timezone=settings.business_timezone,
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description=f"build_everything every day at `{settings.daily_cron}` ({settings.business_timezone}), "
                    "for yesterday's partition; set ECOMOPS_DAILY_CRON to change.",
    )
    def daily_refresh(context: dg.ScheduleEvaluationContext, warehouse: WarehouseResource) -> dg.RunRequest:
        first, last = range_to_build(warehouse.settings, partitions)
        return dg.RunRequest(run_key=f"daily-{last}", tags=range_tags(first, last))

    return daily_refresh
