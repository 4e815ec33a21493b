"""KPI alerts (智能预警): rules in YAML evaluated on the KPI tables, fired alerts sent to chat robots.

The packaged rules file is `ecomops.settings.PACKAGED_ALERT_RULES`.
"""
