import dagster as dg

from ecomops.settings import Settings
from orchestration.alerts.assets import kpi_alerts_asset
from orchestration.alerts.resources import AlertRulesResource


def alerts_definitions(settings: Settings) -> dg.Definitions:
    return dg.Definitions(assets=[kpi_alerts_asset(settings)],
                          resources={"alert_rules": AlertRulesResource.from_settings(settings)})
