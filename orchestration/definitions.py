"""The Dagster code location: every domain's definitions merged, plus the shared warehouse resource.

`build_definitions(settings)` is the one factory: the CLI calls it with the settings of its arguments,
the UI's code location (`defs`) with the environment's. Heavy objects are built in the domains' cached
factories when definitions are built, never at import.
"""

from functools import cache

import dagster as dg

from ecomops.settings import Settings, get_settings
from orchestration.alerts.definitions import alerts_definitions
from orchestration.jobs import build_everything_job
from orchestration.landing.definitions import landing_definitions
from orchestration.lib.warehouse import WarehouseResource
from orchestration.quality.definitions import quality_definitions
from orchestration.schedules import daily_refresh_schedule
from orchestration.serving.definitions import serving_definitions
from orchestration.sync.definitions import sync_definitions
from orchestration.transform.definitions import transform_definitions


@cache
def build_definitions(settings: Settings) -> dg.Definitions:
    domains = dg.Definitions.merge(
        landing_definitions(settings),
        sync_definitions(settings),
        transform_definitions(settings),
        quality_definitions(settings),
        alerts_definitions(settings),
    )
    return dg.Definitions.merge(
        domains,
        serving_definitions([key for assets_def in domains.assets for key in assets_def.keys], settings),
        dg.Definitions(
            jobs=[build_everything_job],
            schedules=[daily_refresh_schedule(settings)],
            resources={"warehouse": WarehouseResource.from_settings(settings)},
        ),
    )


@dg.definitions
def defs() -> dg.Definitions:
    """The UI's code location (`dagster dev`, pyproject's [tool.dagster]): settings from the environment."""
    return build_definitions(get_settings())
