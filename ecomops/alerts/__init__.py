"""KPI alerts (智能预警): rules in YAML evaluated on the KPI tables, fired alerts sent to chat robots.

Kept import-light on purpose: `ecomops.settings` imports the packaged rules path from here.
"""

from pathlib import Path

PACKAGED_ALERT_RULES = Path(__file__).parent / "rules.yaml"
