import dagster as dg

from ecomops.settings import Settings
from orchestration.landing.assets import landing_assets
from orchestration.landing.resources import dlt_resource
from orchestration.landing.sensors import landing_files_sensor


def landing_definitions(settings: Settings) -> dg.Definitions:
    return dg.Definitions(assets=[landing_assets(settings)], sensors=[landing_files_sensor(settings)],
                          resources={"dlt": dlt_resource})
