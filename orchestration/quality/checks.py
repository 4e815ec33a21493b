"""Quality gates as blocking asset checks: one Great Expectations suite per raw table and per key mart.

A suite failing a `critical` expectation yields an ERROR result, which fails the check step
and so stops every asset downstream of it in the run (Dagster's blocking checks); `warning`
expectations yield WARN results, recorded without blocking. The raw gates run after the dlt
step has written and closed the warehouse, in the same `warehouse` pool, because they write
the quarantine and their pass records.
"""

from collections.abc import Callable, Iterable, Iterator
from functools import partial

import dagster as dg

from ecomops.settings import Settings
from orchestration.lib.warehouse import WAREHOUSE_POOL, WarehouseResource
from quality.catalog import read_catalog
from quality.config import MART_SCHEMA, RAW_SCHEMA, SuiteConfig, suite_configs
from quality.mart_gate import run_mart_gate
from quality.raw_gate import run_raw_gate
from quality.records import ensure_gate_tables
from quality.report import failures_markdown, samples_markdown, summary, text_report
from quality.results import GateResult
from quality.screening import screen_alike_tables

GATE_CHECK = "quality_gate"
RAW_GATES, API_GATES = "raw_quality_gates", "api_quality_gates"  # the steps that take `RawGateConfig`


def gate_spec(config: SuiteConfig) -> dg.AssetCheckSpec:
    """A gate's check. A sync table's gate follows the landing of the tables it looks rows up in, when a run
    (`build_everything`) loads them too: it must see the orders and SKUs just landed."""
    scope = "rows of loads not yet gated" if config.schema == RAW_SCHEMA else f"last {config.window_days} days"
    return dg.AssetCheckSpec(
        name=GATE_CHECK,
        asset=dg.AssetKey(config.asset_path),
        additional_deps=[dg.AssetKey([RAW_SCHEMA, table]) for table in config.reads] if config.from_api else (),
        blocking=True,
        description=f"Great Expectations suite {config.name} (quality/suites.yaml) over the {scope}.",
        metadata={"suite": config.name, "expectations": len(config.expectations) + bool(config.volume)},
    )


def check_result(config: SuiteConfig, result: GateResult) -> dg.AssetCheckResult:
    """The result a data engineer acts on: what failed, observed values, masked failing rows, quarantine."""
    metadata = {
        "report": dg.MetadataValue.text("\n".join(text_report(result))),
        "rows_validated": result.rows,
        "expectations_failed": len(result.failures),
        "gate_seconds": round(result.seconds, 3),
    }
    if config.schema == RAW_SCHEMA:
        metadata |= {"dlt_load_ids": ", ".join(result.load_ids) or "-", "quarantined_rows": result.quarantined}
        if not config.from_api:
            metadata["files_validated"] = result.files
    if result.failures:
        metadata["failed_expectations"] = dg.MetadataValue.md(failures_markdown(result))
        metadata["failing_rows_sample"] = dg.MetadataValue.md(samples_markdown(result))
    if result.error:
        metadata["error"] = result.error
    return dg.AssetCheckResult(
        asset_key=dg.AssetKey(config.asset_path),
        check_name=GATE_CHECK,
        passed=result.passed,
        severity=dg.AssetCheckSeverity.ERROR if result.blocks else dg.AssetCheckSeverity.WARN,
        description=summary(result),
        metadata=metadata,
    )


class RawGateConfig(dg.Config):
    all_rows: bool = False  # re-validate every row of the table, not only the loads not yet gated


def _gate(config: SuiteConfig, run: Callable[[], GateResult], log) -> dg.AssetCheckResult:
    """`run` (a raw or mart gate of `config`) as a check result, logged."""
    try:
        result = run()
    except Exception as error:  # a gate that cannot run must block, with the reason in the result
        result = GateResult(suite=config.name, error=f"{type(error).__name__}: {error}")
    (log.error if result.blocks else log.warning if result.failures else log.info)(summary(result))
    return check_result(config, result)


def _configs(schema: str, settings: Settings) -> dict[dg.AssetKey, SuiteConfig]:
    suites = suite_configs(settings.mappings, settings.business_timezone)
    return {dg.AssetKey(c.asset_path): c for c in suites.values() if c.schema == schema}


def raw_quality_gates(settings: Settings) -> dg.AssetChecksDefinition:
    """The export tables' gates, one step after the landing."""
    configs = {key: c for key, c in _configs(RAW_SCHEMA, settings).items() if not c.from_api}
    return _raw_gates(RAW_GATES, configs)


def api_quality_gates(settings: Settings, synced: Iterable[dg.AssetKey]) -> dg.AssetChecksDefinition | None:
    """The gates of platform sync's tables that have an asset (`synced`: platforms with API shops), one step after
    the sync; none without such tables. Every run that builds the marts runs them too (jobs.py)."""
    synced = set(synced)
    configs = {key: c for key, c in _configs(RAW_SCHEMA, settings).items() if c.from_api and key in synced}
    return _raw_gates(API_GATES, configs) if configs else None


def _raw_gates(name: str, configs: dict[dg.AssetKey, SuiteConfig]) -> dg.AssetChecksDefinition:
    @dg.multi_asset_check(specs=[gate_spec(c) for c in configs.values()], can_subset=True,
                          pool=WAREHOUSE_POOL, name=name)
    def gates(context: dg.AssetCheckExecutionContext, config: RawGateConfig,
              warehouse: WarehouseResource) -> Iterator[dg.AssetCheckResult]:
        """Validate what the last loads brought into each raw table; quarantine failing rows."""
        selected = [configs[k.asset_key] for k in sorted(context.selected_asset_check_keys)]
        with warehouse.open_warehouse() as con:
            ensure_gate_tables(con)
            catalog = read_catalog(con, selected)
            screened = {} if config.all_rows else screen_alike_tables(con, selected, catalog)
            for suite_config in selected:
                yield _gate(suite_config, partial(run_raw_gate, con, suite_config, catalog, run_id=context.run.run_id,
                                                  pending_only=not config.all_rows,
                                                  screened=screened.get(suite_config.table)), context.log)

    return gates


def mart_quality_gates(name: str, marts: Iterable[dg.AssetKey], settings: Settings) -> dg.AssetChecksDefinition:
    """Gates of the given marts, as one step. Marts built by different steps get a gates step each:
    one step checking both would have to run after the second, while gating the first's downstream."""
    marts = set(marts)
    configs = {key: config for key, config in _configs(MART_SCHEMA, settings).items() if key in marts}

    @dg.multi_asset_check(specs=[gate_spec(c) for c in configs.values()], can_subset=True,
                          pool=WAREHOUSE_POOL, name=name)
    def gates(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> Iterator[dg.AssetCheckResult]:
        """Validate the recent window of each key mart right after dbt built it (read-only)."""
        selected = [configs[k.asset_key] for k in sorted(context.selected_asset_check_keys)]
        with warehouse.open_warehouse(read_only=True) as con:
            catalog = read_catalog(con, selected)
            for suite_config in selected:
                yield _gate(suite_config, partial(run_mart_gate, con, suite_config, catalog), context.log)

    return gates
