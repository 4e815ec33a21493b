"""build_everything executed in this process: `ecomops run` and the benchmarks."""

import dagster as dg

from ecomops.settings import Settings
from orchestration.definitions import build_definitions
from orchestration.jobs import BUILD_EVERYTHING
from orchestration.lib.in_process import execute_job_in_process
from orchestration.lib.partitions import business_days, range_tags, range_to_build


def build_everything_in_process(settings: Settings, instance: dg.DagsterInstance, log_level: str = "INFO",
                                partitions: tuple[str, str] | None = None) -> dg.ExecuteInProcessResult:
    """One run over a range of daily partitions (first, last); by default the range the landing sensor
    would request: every partition on a first load, then yesterday's."""
    return execute_job_in_process(
        build_definitions(settings).resolve_job_def(BUILD_EVERYTHING),
        instance,
        raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
        tags=range_tags(*(partitions or range_to_build(settings, business_days(settings)))),
    )
