"""The 报表 explorer's API: any metrics × group-bys of the semantic layer, compiled by MetricFlow, on the serving copy.

The catalog comes from the semantic manifest, so a metric added there appears here with no dashboard change.
Requests are checked against that catalog and the filter becomes structured semantic filters (the date range
on `metric_time__day`, the shops on entity `shop`): no SQL from a request reaches the query.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from dashboard.api import CopyDep, FilterDep, UserDep, seller_wide
from dashboard.filters import Filter, FilterError
from dashboard.serving_copy import json_value
from semantic import SemanticLayer, semantic_layer, to_csv, to_xlsx

router = APIRouter(prefix="/api/v1/explorer")
MAX_ROWS = 50_000
DAY = "metric_time__day"
DOWNLOADS = {"csv": ("text/csv; charset=utf-8", to_csv), "xlsx": (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", to_xlsx)}


def layer(request: Request) -> SemanticLayer:
    """The semantic layer compiling for the SQL dialect of the marts the app reads (DuckDB or Postgres)."""
    return semantic_layer(request.app.state.semantic_manifest, request.app.state.serving_copy.dialect)


def _names(value: str | None, what: str) -> list[str]:
    names = [name.strip() for name in (value or "").split(",") if name.strip()]
    if len(names) > 20:
        raise FilterError(f"{what}: at most 20 names")
    return names


def semantic_filters(kpi_filter: Filter, every_shop: bool) -> list[tuple[str, str, object]]:
    """The page filter as semantic filters; all shops of an unlimited user also keep the seller-wide rows."""
    filters = [(DAY, ">=", kpi_filter.start), (DAY, "<=", kpi_filter.end)]
    return filters if every_shop else [*filters, ("shop", "in", list(kpi_filter.shops))]


@router.get("/catalog", summary="报表: the metrics, dimensions and time grains of the semantic layer")
def catalog(request: Request, user: UserDep) -> dict:
    return layer(request).catalog()


@router.get("/query", summary="报表: metrics by group-bys over the filter, as JSON rows, CSV or XLSX")
def query(request: Request, copy: CopyDep, kpi_filter: FilterDep, user: UserDep,
          metrics: Annotated[str, Query(description="metric names, comma-separated")],
          group_by: Annotated[str | None, Query(description="e.g. metric_time__week,shop__platform")] = None,
          limit: Annotated[int, Query(ge=1, le=MAX_ROWS)] = 5_000,
          format: Literal["json", "csv", "xlsx"] = "json"):
    names, groups = _names(metrics, "metrics"), _names(group_by, "group_by")
    if not names:
        raise FilterError("metrics: name at least one metric")
    filters = semantic_filters(kpi_filter, seller_wide(copy, kpi_filter, user))
    order_by = [name for name in groups if name.startswith("metric_time__")]
    try:
        table = copy.query(lambda connection: layer(request).query(
            connection, metrics=names, group_by=groups, filters=filters, order_by=order_by, limit=limit))
    except ValueError as error:  # an unknown or forbidden name, said by the semantic layer
        raise FilterError(str(error)) from None
    if format in DOWNLOADS:
        media_type, export = DOWNLOADS[format]
        return Response(export(table), media_type=media_type,
                        headers={"Content-Disposition": f'attachment; filename="ecomops-report.{format}"'})
    return {"columns": table.column_names,
            "rows": [{key: json_value(value) for key, value in row.items()} for row in table.to_pylist()]}
