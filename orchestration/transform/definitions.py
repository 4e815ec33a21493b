import dagster as dg

from orchestration.transform.assets import daily_kpi_models, transform_models
from orchestration.transform.resources import dbt_resource


def transform_definitions() -> dg.Definitions:
    return dg.Definitions(assets=[transform_models, daily_kpi_models], resources={"dbt": dbt_resource})
