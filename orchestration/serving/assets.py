"""What readers get after a run: on DuckDB the serving copy, the file BI tools and analysts open, published after
everything it copies was built; on Postgres a role on the marts (the reader grants)."""

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import dagster as dg

from ecomops.settings import Settings
from orchestration.lib.warehouse import WAREHOUSE_POOL, WarehouseResource
from orchestration.transform.project import incremental_unique_keys
from serving.postgres_readers import READER_PASSWORD_ENV, ensure_reader_role
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
    """The serving copy published: what it holds, for the run summary."""
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


def _grant_readers(context: dg.AssetExecutionContext, settings: Settings) -> dict:
    """The reader role ensured on the Postgres warehouse (serving.postgres_readers): what it may read."""
    if not settings.postgres_url():
        raise dg.Failure("ECOMOPS_TARGET=postgres needs ECOMOPS_POSTGRES_URL (docs/postgres.md)")
    grants = ensure_reader_role(settings.postgres_url(), settings.reader_role,
                                settings.secret(READER_PASSWORD_ENV), settings.reader_statement_timeout)
    if not grants.password_set:
        context.log.warning(f"${READER_PASSWORD_ENV} is not set: role {grants.role} cannot log in over TCP")
    context.log.info(f"readers: role {grants.role} selects {grants.tables} tables of "
                     f"{', '.join(grants.schemas)} in {grants.database}; nothing in "
                     f"{', '.join(grants.withheld_schemas) or 'other schemas'}")
    return {"reader_role": grants.role, "database": grants.database, "readable_schemas": ", ".join(grants.schemas),
            "readable_tables": grants.tables, "withheld_schemas": ", ".join(grants.withheld_schemas),
            "statement_timeout": grants.statement_timeout, "password_set": grants.password_set}


def _summarized(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                published: dict) -> dg.MaterializeResult:
    """The run's summary beside what readers got: rows per layer, checks passed/failed, alerts fired.

    Shown as metadata and written, with the run id, to the warehouse's run summary file.
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
        **published,
        **{f"rows_{schema}": rows for schema, rows in rows_by_layer.items()},
        "checks_passed": checks["passed"],
        "checks_failed": checks["failed"],
        "checks_warned": checks["warned"],
        **({"alerts_fired": alerts_fired} if alerts_fired is not None else {}),
    }
    published_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    write_run_summary(Path(warehouse.run_summary), {"run_id": context.run.run_id, "published_at": published_at,
                                                     **summary})
    return dg.MaterializeResult(metadata=summary)


def serving_copy_asset(upstream: Sequence[dg.AssetKey]) -> dg.AssetsDefinition:
    """Downstream of every other asset, so a run publishes only after all of them succeeded."""

    @dg.asset(key=SERVING_COPY_KEY, deps=list(upstream), group_name="serving", pool=WAREHOUSE_POOL, kinds={"duckdb"})
    def warehouse_copy(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        """A read-only copy of the whole warehouse for BI tools (Superset, Metabase, Excel, DuckDB clients).

        Its metadata is the run's summary: rows per layer, checks passed/failed, alerts fired.
        """
        return _summarized(context, warehouse, _publish(context, warehouse))

    return warehouse_copy


READER_GRANTS_KEY = dg.AssetKey(["serving", "reader_grants"])


def reader_grants_asset(upstream: Sequence[dg.AssetKey], settings: Settings) -> dg.AssetsDefinition:
    """On Postgres, in place of the serving copy, downstream of every other asset: readers get a role on the marts."""

    @dg.asset(key=READER_GRANTS_KEY, deps=list(upstream), group_name="serving", pool=WAREHOUSE_POOL,
              kinds={"postgres"})
    def reader_grants(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        """The read-only role BI tools and the dashboard log in as (marts and alerts, a statement timeout).

        Its metadata is the run's summary, as the serving copy's is on DuckDB.
        """
        return _summarized(context, warehouse, _grant_readers(context, settings))

    return reader_grants
