"""Every dbt model, seed and snapshot as an asset, and every dbt test as an asset check (dagster-dbt).

Two steps: the daily KPI models are partitioned by business day; everything else is not.
"""

import datetime as dt
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject, dbt_assets

from ecomops.settings import BUYER_SALT_ENV, Settings, WarehousePaths
from ingestion.pipeline import postgres_credentials
from orchestration.lib.partitions import business_days, run_days
from orchestration.lib.warehouse import WAREHOUSE_POOL, WarehouseResource
from orchestration.transform.project import transform_project
from orchestration.transform.resources import TransformDbtResource


# Declarative automation: a model follows its upstreams, but never past a failed blocking check
# (a quality gate or a dbt test): data that failed its gate does not flow on by itself.
FOLLOW_UPSTREAMS_ONCE_GATED = dg.AutomationCondition.eager() & dg.AutomationCondition.all_deps_blocking_checks_passed()


class TransformTranslator(DagsterDbtTranslator):
    """Models are keyed `<schema>/<model>` and grouped by layer; dbt sources keep `raw/<table>`, the dlt assets' keys."""

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        node = manifest["nodes"].get(unique_id)
        if node is None:  # a source: its key already is raw/<table>
            return spec
        return spec.replace_attributes(
            key=dg.AssetKey([node["schema"], node["name"]]),
            group_name=node["schema"],
            automation_condition=FOLLOW_UPSTREAMS_ONCE_GATED,
        )


TRANSLATOR = TransformTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))
DAILY_MODELS = "tag:daily"  # the daily KPI models: incremental by business date (transform/macros/in_rebuild_window.sql)


class DbtBuildConfig(dg.Config):
    """`full_refresh` rebuilds incremental models from scratch: after a model's columns, the status seeds,
    a shop's timezone or the buyer salt changed."""

    full_refresh: bool = False


def warehouse_profile_environment(paths: WarehousePaths) -> dict[str, str]:
    """The profiles.yml output of the settings' warehouse (ECOMOPS_TARGET) and where it is."""
    if not paths.on_postgres:
        return {"ECOMOPS_TARGET": paths.target, "ECOMOPS_WAREHOUSE": str(paths.warehouse.resolve())}
    credentials = postgres_credentials(paths)
    return {
        "ECOMOPS_TARGET": paths.target,
        "ECOMOPS_PG_HOST": credentials.host,
        "ECOMOPS_PG_PORT": str(credentials.port),
        "ECOMOPS_PG_USER": credentials.username,
        "ECOMOPS_PG_PASSWORD": credentials.password or "",
        "ECOMOPS_PG_DBNAME": credentials.database,
    }


def dbt_environment(paths: WarehousePaths, run_window: tuple[dt.date, dt.date] | None) -> dict[str, str]:
    """What dbt reads from its environment (profiles.yml, macros): the warehouse and DuckDB's limits, the
    buyer-hash salt and the run's business days. Environment, not --vars: a new --vars value makes dbt parse
    the whole project again, and the salt must not be on the logged command line."""
    first, last = (run_window[0].isoformat(), run_window[1].isoformat()) if run_window else ("", "")
    return {
        **warehouse_profile_environment(paths),
        "ECOMOPS_DUCKDB_MEMORY_LIMIT": paths.duckdb.memory_limit,
        "ECOMOPS_DUCKDB_THREADS": str(paths.duckdb.threads),
        BUYER_SALT_ENV: paths.buyer_salt(),
        "ECOMOPS_MIN_DATE": first,
        "ECOMOPS_MAX_DATE": last,
        # A test between a daily KPI model and a dimension runs in the step that builds the KPI model, not
        # before it (dbt's default, eager, would run it in the first step that builds either side).
        "DBT_INDIRECT_SELECTION": "buildable",
    }


def _dbt_build(context: dg.AssetExecutionContext, dbt: TransformDbtResource, warehouse: WarehouseResource,
               config: DbtBuildConfig, run_window: tuple[dt.date, dt.date] | None = None) -> Iterator:
    """`dbt build` of the selected models: each model is materialized, then its data tests run as checks."""
    # Unit tests pin formulas on fixed rows, not data: CI runs them (tests/test_transform.py), runs don't.
    args = ["build", "--exclude-resource-type", "unit_test"]
    if config.full_refresh:
        args.append("--full-refresh")
    # One target folder per warehouse and step, kept between runs: dbt's partial parsing reuses the last parse
    # of the same step (a new folder per run, dagster-dbt's default, parses the whole project every run and
    # piles up). A warehouse's writers run one at a time (the warehouse pool): no two invocations share it.
    target_path = warehouse.settings.dbt_target_dir.resolve() / context.op_execution_context.op.name
    env = dbt_environment(warehouse.settings, run_window)
    yield from dbt.cli_with_env(args, env=env, context=context, target_path=target_path).stream()


@cache
def transform_assets(settings: Settings) -> tuple[dg.AssetsDefinition, dg.AssetsDefinition]:
    """The dbt models as two steps: everything but the daily KPI models, and those by business day."""
    step = {"manifest": transform_project.manifest_path, "project": transform_project,
            "dagster_dbt_translator": TRANSLATOR, "pool": WAREHOUSE_POOL}

    @dbt_assets(**step, name="transform_models", exclude=DAILY_MODELS)
    def transform_models(context: dg.AssetExecutionContext, dbt: TransformDbtResource, warehouse: WarehouseResource,
                         config: DbtBuildConfig) -> Iterator:
        """Staging, facts, dimensions and customer KPIs. Staging of orders, refunds and the bill, the facts and
        dim_customers are incremental (the rows whose inputs were loaded since the last run); the rest is rebuilt."""
        yield from _dbt_build(context, dbt, warehouse, config)

    @dbt_assets(**step, name="daily_kpi_models", select=DAILY_MODELS, partitions_def=business_days(settings),
                backfill_policy=dg.BackfillPolicy.single_run())
    def daily_kpi_models(context: dg.AssetExecutionContext, dbt: TransformDbtResource, warehouse: WarehouseResource,
                         config: DbtBuildConfig) -> Iterator:
        """Daily KPI tables by business date: a run replaces its partitions' days and the lookback before them,
        from earlier still if files loaded since the last build reach further back (transform/macros/in_rebuild_window.sql).

        A backfill of any date range is one run and one `dbt build`, so it never races another writer.
        """
        yield from _dbt_build(context, dbt, warehouse, config, run_days(context))

    return transform_models, daily_kpi_models
