"""KPI alerts: evaluate the alert rules after the KPI tables build, notify, and load results with dlt."""

from functools import cache

import dagster as dg

from alerts.run import AlertRun, run_alerts
from alerts.store import ALERTS_DATASET, ALERTS_TABLE, NOTIFICATIONS_TABLE
from ecomops.settings import Settings
from orchestration.alerts.resources import AlertRulesResource
from orchestration.lib.partitions import business_days, run_days
from orchestration.lib.warehouse import WAREHOUSE_POOL, WarehouseResource

ALERTS_GROUP = "alerts"
KPI_ASSETS = [dg.AssetKey(["marts", table]) for table in ("kpi_shop_daily", "kpi_inventory_daily", "kpi_sku_daily")]


def _summary_metadata(run: AlertRun) -> dict:
    results = run.results
    per_rule = results.assign(skipped=results["skip_reason"].notna()).groupby(["rule_id", "severity"]).agg(
        evaluated=("alert_key", "size"), fired=("fired", "sum"), skipped=("skipped", "sum"))
    table = ["| rule | severity | fired | evaluated | skipped |", "|---|---|---|---|---|"]
    table += [f"| {rule} | {severity} | {int(r.fired)} | {int(r.evaluated)} | {int(r.skipped)} |"
              for (rule, severity), r in per_rule.iterrows()]
    dates = {t: f"{d[0]} … {d[-1]} ({len(d)} dates)" if d else "no dates" for t, d in run.dates.items()}
    attempts = run.delivery.attempts
    return {
        "alerts_fired": int(results["fired"].sum()),
        "fired_by_rule": dg.MetadataValue.md("\n".join(table)),
        "fired_by_severity": dg.MetadataValue.json(
            {s: int(n) for s, n in run.fired.groupby("severity").size().items()}),
        "dates_evaluated": dg.MetadataValue.json(dates),
        "alerts_delivered": dg.MetadataValue.json(run.delivery.delivered),
        "alerts_unsent": dg.MetadataValue.json(run.delivery.unsent),
        "alerts_given_up": dg.MetadataValue.json(run.delivery.given_up),
        "send_attempts_failed": sum(a["status"] == "failed" for a in attempts),
        "channels_without_url": dg.MetadataValue.json(run.unconfigured_channels),
    }


@cache
def kpi_alerts_asset(settings: Settings) -> dg.AssetsDefinition:
    """The alerts asset, partitioned by the business days of `settings`."""

    @dg.asset(
        key=[ALERTS_DATASET, ALERTS_TABLE],
        deps=KPI_ASSETS,
        group_name=ALERTS_GROUP,
        partitions_def=business_days(settings),
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=WAREHOUSE_POOL,
        kinds={"dlt", settings.target},
    )
    def kpi_alerts(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                   alert_rules: AlertRulesResource) -> dg.MaterializeResult:
        """Alert rules evaluated on the KPI tables: one row per rule, shop or SKU and date, merged on its key.

        A run evaluates the business days of its partitions; a backfill re-evaluates a date range in one run.

        Fired alerts go to the configured chat robots; each send attempt is appended to
        `alerts.notifications`. A failed send does not fail this asset: the alert stays
        unsent and the next evaluation retries it.
        """
        paths = warehouse.settings
        first_day, last_day = run_days(context)
        run = run_alerts(paths, alert_rules.load(), context.run.run_id,
                         first_day, last_day, context.log, environ=paths.environ)
        counts = warehouse.row_counts(ALERTS_DATASET)
        metadata = _summary_metadata(run)
        context.log.info(
            f"{metadata['alerts_fired']} alerts fired over {len(run.results)} evaluations; "
            f"delivered {run.delivery.delivered}, unsent {run.delivery.unsent}"
        )
        return dg.MaterializeResult(metadata={
            **metadata,
            "dagster/row_count": counts.get(ALERTS_TABLE, 0),
            "notification_attempts_recorded": counts.get(NOTIFICATIONS_TABLE, 0),
        })

    return kpi_alerts
