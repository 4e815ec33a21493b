"""Every dbt model, seed and snapshot as an asset, and every dbt test as an asset check (dagster-dbt)."""

import os
from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from ecomops.settings import BUYER_SALT_ENV
from orchestration.lib.warehouse import WAREHOUSE_POOL, WarehouseResource
from orchestration.transform.project import transform_project


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


@dbt_assets(
    manifest=transform_project.manifest_path,
    project=transform_project,
    name="transform_models",
    dagster_dbt_translator=TransformTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)),
    pool=WAREHOUSE_POOL,
)
def transform_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource) -> Iterator:
    """`dbt build` of the selected models: each model is materialized, then its data tests run as checks."""
    settings = warehouse.settings
    # dbt reads the warehouse path and the buyer-hash salt from its environment (profiles.yml, macros).
    os.environ["ECOMOPS_WAREHOUSE"] = str(settings.warehouse.resolve())
    os.environ[BUYER_SALT_ENV] = settings.buyer_salt()
    # Unit tests pin formulas on fixed rows, not data: CI runs them (tests/test_transform.py), runs don't.
    yield from dbt.cli(["build", "--exclude-resource-type", "unit_test"], context=context).stream()
