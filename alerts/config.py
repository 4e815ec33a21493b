"""The alert rules file: rules, channels and delivery policy, validated into typed objects.

Every threshold, window and channel lives in the YAML (shipped default: `rules.yaml` beside
this module, `ecomops.settings.PACKAGED_ALERT_RULES`; overridden by $ECOMOPS_ALERT_RULES).
The `defaults.anomaly` block of the file fills anomaly fields a rule leaves out, so
the KPI dictionary's defaults are written once, in the file, not in code.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, PositiveInt, model_validator

Severity = Literal["info", "warning", "critical"]
SEVERITY_RANK: dict[str, int] = {"info": 0, "warning": 1, "critical": 2}
Direction = Literal["drop", "spike", "both"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Threshold(_Strict):
    """Fires when the day's value crosses an absolute bound: exactly one of the four keys."""

    type: Literal["threshold"]
    above: float | None = None
    at_or_above: float | None = None
    below: float | None = None
    at_or_below: float | None = None

    @model_validator(mode="after")
    def _one_bound(self) -> Threshold:
        bounds = [b for b in (self.above, self.at_or_above, self.below, self.at_or_below) if b is not None]
        if len(bounds) != 1:
            raise ValueError("a threshold needs exactly one of above, at_or_above, below, at_or_below")
        return self


class ChangePct(_Strict):
    """Fires when the day moved by at least `threshold_pct` % against one earlier day."""

    type: Literal["change_pct"]
    compare_to: Literal["previous_day", "same_weekday_last_week"]
    direction: Direction
    threshold_pct: PositiveFloat

    @property
    def lag_days(self) -> int:
        return 1 if self.compare_to == "previous_day" else 7


class Anomaly(_Strict):
    """Fires when the day is more than `sensitivity` standard deviations from its expected value.

    Training data: the `window_days` days before the evaluated day. With `seasonality: weekday`
    the expected value is the mean of the same weekday in the window and the spread is the
    pooled deviation of every day from its own weekday's mean (see `evaluate.anomaly`).
    """

    type: Literal["anomaly"]
    direction: Direction
    window_days: PositiveInt
    sensitivity: PositiveFloat
    min_points: PositiveInt
    seasonality: Literal["weekday", "none"]
    min_weekday_points: PositiveInt
    min_change_pct: PositiveFloat | None = None


Condition = Annotated[Threshold | ChangePct | Anomaly, Field(discriminator="type")]


def _table_column(value: str) -> tuple[str, str]:
    table, _, column = value.partition(".")
    if not table or not column:
        raise ValueError(f"expected <kpi table>.<column>, got {value!r}")
    return table, column


class VolumeGuard(_Strict):
    """Skip the rule for a row whose volume is too small to mean anything (tiny shops page nobody).

    Compared on the evaluated day, or on the mean of the `trailing_days` days before it
    (use that for a metric that is itself the volume, or a drop to zero would silence its alert).
    """

    column: str
    at_least: float
    trailing_days: PositiveInt | None = None


class TopSellers(_Strict):
    """Restrict a SKU rule to the top N SKUs by a trailing sum (e.g. paid amount of the 28 days before)."""

    by: str
    top_n: PositiveInt
    trailing_days: PositiveInt

    @property
    def table(self) -> str:
        return _table_column(self.by)[0]

    @property
    def column(self) -> str:
        return _table_column(self.by)[1]


class Rule(_Strict):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    name: str
    metric: str
    severity: Severity
    platforms: list[str] | None = None
    shop_codes: list[str] | None = None
    min_volume: list[VolumeGuard] = []
    top_sellers: TopSellers | None = None
    condition: Condition

    @model_validator(mode="after")
    def _metric_is_table_column(self) -> Rule:
        _table_column(self.metric)
        return self

    @property
    def table(self) -> str:
        return _table_column(self.metric)[0]

    @property
    def column(self) -> str:
        return _table_column(self.metric)[1]

    @property
    def lookback_days(self) -> int:
        """How many days before an evaluated day the rule reads."""
        condition = self.condition
        days = [condition.window_days if isinstance(condition, Anomaly)
                else condition.lag_days if isinstance(condition, ChangePct) else 0]
        days += [g.trailing_days or 0 for g in self.min_volume]
        days += [self.top_sellers.trailing_days] if self.top_sellers else []
        return max(days)


class Channel(_Strict):
    """Where fired alerts go. The URL and secret are read from the environment variables named here."""

    name: str
    type: Literal["webhook", "dingtalk", "wecom", "feishu", "slack"]
    url_env: str
    secret_env: str | None = None
    format: Literal["markdown", "text", "post", "blocks", "json"] | None = None
    min_severity: Severity | None = None
    batch_size: PositiveInt | None = None

    @model_validator(mode="after")
    def _supported(self) -> Channel:
        formats = {"webhook": {"json"}, "dingtalk": {"markdown"}, "wecom": {"markdown"},
                   "feishu": {"text", "post"}, "slack": {"text", "blocks"}}[self.type]
        if self.format is not None and self.format not in formats:
            raise ValueError(f"channel {self.name}: a {self.type} channel sends {sorted(formats)}, not {self.format}")
        if self.secret_env and self.type not in ("dingtalk", "feishu"):
            raise ValueError(f"channel {self.name}: only dingtalk and feishu robots sign requests")
        return self

    @property
    def message_format(self) -> str:
        return self.format or {"webhook": "json", "dingtalk": "markdown", "wecom": "markdown",
                               "feishu": "text", "slack": "blocks"}[self.type]

    def accepts(self, severity: str) -> bool:
        return self.min_severity is None or SEVERITY_RANK[severity] >= SEVERITY_RANK[self.min_severity]


class Delivery(_Strict):
    """Retry policy: bounded attempts per evaluation, bounded evaluations per alert, short timeouts."""

    attempts: PositiveInt
    backoff_seconds: float = Field(ge=0)
    timeout_seconds: PositiveFloat
    max_evaluations: PositiveInt
    max_age_days: int = Field(ge=0)
    batch_size: PositiveInt


class Evaluation(_Strict):
    recent_dates: PositiveInt


class AlertConfig(_Strict):
    evaluation: Evaluation
    delivery: Delivery
    rules: list[Rule]
    channels: list[Channel] = []

    @model_validator(mode="after")
    def _unique_names(self) -> AlertConfig:
        for kind, names in (("rule id", [r.id for r in self.rules]), ("channel name", [c.name for c in self.channels])):
            duplicates = sorted({n for n in names if names.count(n) > 1})
            if duplicates:
                raise ValueError(f"duplicate {kind}: {', '.join(duplicates)}")
        return self

    def rule(self, rule_id: str) -> Rule:
        return next(r for r in self.rules if r.id == rule_id)


def parse_alert_config(document: dict) -> AlertConfig:
    """Validate a rules document, filling anomaly conditions from its `defaults.anomaly` block."""
    document = dict(document)
    anomaly_defaults = (document.pop("defaults", None) or {}).get("anomaly", {})
    rules = []
    for rule in document.get("rules", []):
        condition = rule.get("condition", {})
        if condition.get("type") == "anomaly":
            rule = {**rule, "condition": {**anomaly_defaults, **condition}}
        rules.append(rule)
    return AlertConfig.model_validate({**document, "rules": rules})


def load_alert_config(path: Path) -> AlertConfig:
    """The rules file at `path`, re-read only when it changes."""
    path = Path(path).resolve()
    return _load(path, path.stat().st_mtime_ns)


@cache
def _load(path: Path, mtime_ns: int) -> AlertConfig:
    with path.open(encoding="utf-8") as handle:
        return parse_alert_config(yaml.safe_load(handle) or {})
