import dagster as dg

from orchestration.landing.assets import raw_tables
from orchestration.landing.resources import dlt_resource
from orchestration.landing.sensors import landing_files_sensor


def landing_definitions() -> dg.Definitions:
    return dg.Definitions(assets=[raw_tables], sensors=[landing_files_sensor], resources={"dlt": dlt_resource})
