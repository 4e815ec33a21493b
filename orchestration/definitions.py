"""The Dagster code location: every domain's definitions merged, plus the shared warehouse resource."""

import dagster as dg

from orchestration.alerts.definitions import alerts_definitions
from orchestration.jobs import build_everything_job
from orchestration.landing.definitions import landing_definitions
from orchestration.lib.warehouse import WarehouseResource
from orchestration.quality.definitions import quality_definitions
from orchestration.schedules import daily_refresh_schedule
from orchestration.serving.definitions import serving_definitions
from orchestration.transform.definitions import transform_definitions


@dg.definitions
def defs() -> dg.Definitions:
    domains = dg.Definitions.merge(
        landing_definitions(),
        transform_definitions(),
        quality_definitions(),
        alerts_definitions(),
    )
    return dg.Definitions.merge(
        domains,
        serving_definitions([key for assets_def in domains.assets for key in assets_def.keys]),
        dg.Definitions(
            jobs=[build_everything_job],
            schedules=[daily_refresh_schedule()],
            resources={"warehouse": WarehouseResource.from_settings()},
        ),
    )
