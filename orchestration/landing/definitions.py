import dagster as dg

from orchestration.landing.assets import raw_tables
from orchestration.landing.resources import dlt_resource


def landing_definitions() -> dg.Definitions:
    return dg.Definitions(assets=[raw_tables], resources={"dlt": dlt_resource})
