"""Schedules that span domains."""

import dagster as dg

from ecomops.settings import get_settings
from orchestration.jobs import build_everything_job


def daily_refresh_schedule() -> dg.ScheduleDefinition:
    """A daily safety net beside the landing sensor: ingest and rebuild at a fixed Shanghai time."""
    settings = get_settings()
    return dg.ScheduleDefinition(
        name="daily_refresh",
        job=build_everything_job,
        cron_schedule=settings.daily_cron,
        execution_timezone=settings.business_timezone,
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description=f"build_everything every day at `{settings.daily_cron}` ({settings.business_timezone}); set ECOMOPS_DAILY_CRON to change.",
    )
