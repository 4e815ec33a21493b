import dagster as dg

from orchestration.alerts.assets import kpi_alerts
from orchestration.alerts.resources import AlertRulesResource


def alerts_definitions() -> dg.Definitions:
    return dg.Definitions(assets=[kpi_alerts], resources={"alert_rules": AlertRulesResource.from_settings()})
