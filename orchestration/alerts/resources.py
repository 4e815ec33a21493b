"""Resources the alerts domain needs."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from alerts.config import AlertConfig, load_alert_config
from ecomops.settings import Settings


class AlertRulesResource(dg.ConfigurableResource):
    """Which rules file (rules, channels, delivery policy) the alert evaluation reads."""

    path: str

    @classmethod
    def from_settings(cls, settings: Settings) -> AlertRulesResource:
        return cls(path=str(settings.alert_rules))

    def load(self) -> AlertConfig:
        """Read at run time, so a broken rules file fails the alerts asset, not the code location."""
        return load_alert_config(Path(self.path))
