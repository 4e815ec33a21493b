"""The serving copy: the file BI tools and analysts open, published after everything it copies was built."""

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import dagster as dg

from orchestration.lib.warehouse import WAREHOUSE_POOL, WarehouseResource
from orchestration.transform.project import incremental_unique_keys
from serving.publish import write_run_summary

SERVING_COPY_KEY = dg.AssetKey(["serving", "warehouse_copy"])
ALERTS_KEY = dg.AssetKey(["alerts", "kpi_alerts"])


def _check_outcomes(context: dg.AssetExecutionContext) -> Counter:
    """passed / failed / warned asset checks of this run (dbt tests and quality gates alike)."""
    records = context.instance.get_records_for_run(
        context.run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION, limit=100_000
    ).records
    outcomes: Counter = Counter()
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        if evaluation.passed:
            outcomes["passed"] += 1
        elif evaluation.severity == dg.AssetCheckSeverity.WARN:
            outcomes["warned"] += 1
        else:
            outcomes["failed"] += 1
    return outcomes


def _alerts_fired(context: dg.AssetExecutionContext) -> int | None:
    event = context.instance.get_latest_materialization_event(ALERTS_KEY)
    if event is None or event.run_id != context.run.run_id:
        return None
    fired = event.asset_materialization.metadata.get("alerts_fired")
    return fired.value if fired is not None else None


def _publish(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dict:
    """The serving copy published (DuckDB); on Postgres readers query the warehouse's marts, so nothing is copied."""
    if warehouse.settings.on_postgres:
        context.log.info("Postgres warehouse: no serving copy, readers query its marts and alerts schemas")
        return {"serving_copy": "none: readers query the Postgres warehouse"}
    publication = warehouse.publish_serving_copy(incremental_unique_keys())
    path = publication.path
    context.log.info(f"published {path} ({len(publication.updated)} tables given their new rows,"
                     f" {len(publication.replaced)} copied whole, {len(publication.dropped)} dropped)")
    return {
        "path": str(path.resolve()),
        "size_mb": round(path.stat().st_size / 1e6, 1),
        "tables_given_new_rows": ", ".join(publication.updated),  # the others were copied whole
        "tables_copied_whole": len(publication.replaced),
    }


def serving_copy_asset(upstream: Sequence[dg.AssetKey]) -> dg.AssetsDefinition:
    """Downstream of every other asset, so a run publishes only after all of them succeeded."""

    @dg.asset(key=SERVING_COPY_KEY, deps=list(upstream), group_name="serving", pool=WAREHOUSE_POOL, kinds={"duckdb"})
    def warehouse_copy(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        """A read-only copy of the whole warehouse for BI tools (Superset, Metabase, Excel, DuckDB clients).

        Its metadata is the run's summary: rows per layer, checks passed/failed, alerts fired; the same
        facts and the run id are written to the warehouse's run summary file.
        """
        rows_by_layer = warehouse.rows_by_schema()
        checks = _check_outcomes(context)
        alerts_fired = _alerts_fired(context)
        context.log.info(
            "run summary: rows " + ", ".join(f"{schema} {rows:,}" for schema, rows in rows_by_layer.items())
            + f"; checks {checks['passed']} passed, {checks['failed']} failed, {checks['warned']} warned"
            + (f"; {alerts_fired} alerts fired" if alerts_fired is not None else "")
        )
        summary = {
            **_publish(context, warehouse),
            **{f"rows_{schema}": rows for schema, rows in rows_by_layer.items()},
            "checks_passed": checks["passed"],
            "checks_failed": checks["failed"],
            "checks_warned": checks["warned"],
            **({"alerts_fired": alerts_fired} if alerts_fired is not None else {}),
        }
        published_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        write_run_summary(Path(warehouse.run_summary),
                          {"run_id": context.run.run_id, "published_at": published_at, **summary})
        return dg.MaterializeResult(metadata=summary)

    return warehouse_copy
