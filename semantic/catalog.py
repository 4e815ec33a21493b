"""What a reader may ask the semantic layer for: its metrics, and the names it may group and filter by.

Entities are offered as group-bys only when they name a business object (`GROUPABLE_ENTITIES`). An entity
that names a buyer (`customer`, `rfm_customer`) or one buyer's transaction (`order`, `order_line`,
`refund`) is never offered, nor any path through one (`order__customer`): grouped by it, a table would
list one buyer per row. Dimensions (platform, province, category, dates...) only ever aggregate.
"""

from __future__ import annotations

from dataclasses import dataclass

from metricflow.engine.metricflow_engine import MetricFlowEngine
from metricflow_semantic_interfaces.protocols.semantic_manifest import SemanticManifest
from metricflow_semantic_interfaces.type_enums import DimensionType, EntityType

GROUPABLE_ENTITIES = ("shop", "sku")
TIME_GRAINS = ("day", "week", "month", "quarter", "year")
METRIC_TIME = "metric_time"
CATEGORICAL, TIME, ENTITY = "categorical", "time", "entity"


@dataclass(frozen=True)
class GroupByName:
    """A name a query may group or filter by, resolved: its kind, and for a time name its base and grain."""

    name: str
    kind: str
    base: str
    grain: str | None = None


@dataclass(frozen=True)
class Catalog:
    metrics: tuple[dict, ...]
    dimensions: tuple[dict, ...]

    @staticmethod
    def of(engine: MetricFlowEngine, manifest: SemanticManifest) -> Catalog:
        metrics = tuple({"name": m.name, "label": m.label or m.name, "description": m.description or "",
                         "type": m.type.value} for m in engine.list_metrics(include_dimensions=False))
        time_ = {"name": METRIC_TIME, "label": "时间 metric time", "type": TIME,
                 "description": "Each metric's own time (its agg_time_dimension): group by metric_time__<grain>."}
        dimensions = [{"name": d.dunder_name, "label": d.label or d.dunder_name, "description": d.description or "",
                       "type": TIME if d.type is DimensionType.TIME else CATEGORICAL}
                      for d in engine.list_dimensions()]
        entities = [{"name": e.name, "label": e.label or e.name, "description": e.description or "", "type": ENTITY}
                    for model in manifest.semantic_models for e in model.entities
                    if e.name in GROUPABLE_ENTITIES and e.type is EntityType.PRIMARY]
        return Catalog(metrics, (time_, *entities, *dimensions))

    def as_dict(self) -> dict:
        """The shape API clients get: `dimensions` are named as in `group_by`, time ones without their grain."""
        return {"metrics": [dict(m) for m in self.metrics], "dimensions": [dict(d) for d in self.dimensions],
                "time_grains": list(TIME_GRAINS)}

    def metric(self, name: object) -> str:
        if not isinstance(name, str) or name not in {m["name"] for m in self.metrics}:
            raise ValueError(f"unknown metric {name!r}: see the catalog's metrics")
        return name

    def group_by(self, name: object) -> GroupByName:
        """`shop__platform`, `shop`, `metric_time__week`, `order__paid_date__month`: a time name needs its grain."""
        if not isinstance(name, str):
            raise ValueError(f"unknown dimension {name!r}: see the catalog's dimensions")
        kinds = {d["name"]: d["type"] for d in self.dimensions}
        if kinds.get(name) in (CATEGORICAL, ENTITY):
            return GroupByName(name, kinds[name], name)
        base, _, grain = name.rpartition("__")
        if kinds.get(base) == TIME and grain in TIME_GRAINS:
            return GroupByName(name, TIME, base, grain)
        if kinds.get(name) == TIME:
            raise ValueError(f"dimension {name!r} needs a time grain: {name}__day, __week, __month, __quarter or __year")
        raise ValueError(f"unknown dimension {name!r}: see the catalog's dimensions")
