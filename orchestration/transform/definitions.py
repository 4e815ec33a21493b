import dagster as dg

from ecomops.settings import Settings
from orchestration.transform.assets import transform_assets
from orchestration.transform.resources import dbt_resource


def transform_definitions(settings: Settings) -> dg.Definitions:
    return dg.Definitions(assets=list(transform_assets(settings)), resources={"dbt": dbt_resource()})
