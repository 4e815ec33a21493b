from fnmatch import fnmatch

import dagster as dg

from ecomops.settings import Settings
from orchestration.quality.checks import API_GATES, RAW_GATES, api_quality_gates, mart_quality_gates, raw_quality_gates
from orchestration.sync.assets import sync_assets
from orchestration.transform.assets import transform_assets

QUALITY_GATES = "quality_gates"


def quality_definitions(settings: Settings) -> dg.Definitions:
    transform_models, daily_kpi_models = transform_assets(settings)
    synced = [key for assets_def in sync_assets(settings).values() for key in assets_def.keys]
    gates = [
        raw_quality_gates(settings),
        *filter(None, [api_quality_gates(settings, synced)]),
        mart_quality_gates("mart_quality_gates", transform_models.keys, settings),
        mart_quality_gates("kpi_quality_gates", daily_kpi_models.keys, settings),
    ]
    job = dg.define_asset_job(
        QUALITY_GATES,
        selection=dg.AssetSelection.checks(*gates),
        description="Run the quality gates alone (`ecomops check`): after a fix, or to see what a load would fail.",
    )
    return dg.Definitions(asset_checks=gates, jobs=[job])


def selected_gates(job: dg.JobDefinition, patterns: list[str]) -> set[dg.AssetCheckKey]:
    """The gate checks of `job` whose asset key (`raw/taobao_orders`) matches any glob; every gate without patterns."""
    keys = job.asset_layer.asset_graph.asset_check_keys
    return {k for k in keys if not patterns or any(fnmatch(k.asset_key.to_user_string(), p) for p in patterns)}


def raw_gate_steps(job: dg.JobDefinition) -> list[str]:
    """The steps of `job` that gate raw tables (they take `all_rows`)."""
    return [step for step in (RAW_GATES, API_GATES) if job.graph.has_node_named(step)]
