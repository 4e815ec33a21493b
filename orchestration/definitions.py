"""The Dagster code location: every domain's definitions merged, plus the shared warehouse resource."""

import dagster as dg

from orchestration.jobs import build_everything_job
from orchestration.landing.definitions import landing_definitions
from orchestration.lib.warehouse import WarehouseResource
from orchestration.transform.definitions import transform_definitions


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions.merge(
        landing_definitions(),
        transform_definitions(),
        dg.Definitions(jobs=[build_everything_job], resources={"warehouse": WarehouseResource.from_settings()}),
    )
