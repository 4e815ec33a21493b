"""The serving copy: the file BI tools and analysts open, published after everything it copies was built."""

from collections.abc import Sequence

import dagster as dg

from orchestration.lib.warehouse import WAREHOUSE_POOL, WarehouseResource

SERVING_COPY_KEY = dg.AssetKey(["serving", "warehouse_copy"])


def serving_copy_asset(upstream: Sequence[dg.AssetKey]) -> dg.AssetsDefinition:
    """Downstream of every other asset, so a run publishes only after all of them succeeded."""

    @dg.asset(key=SERVING_COPY_KEY, deps=list(upstream), group_name="serving", pool=WAREHOUSE_POOL, kinds={"duckdb"})
    def warehouse_copy(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        """A read-only copy of the whole warehouse for BI tools (Superset, Metabase, Excel, DuckDB clients)."""
        path = warehouse.publish_serving_copy()
        context.log.info(f"published {path}")
        return dg.MaterializeResult(metadata={"path": str(path.resolve()), "size_mb": round(path.stat().st_size / 1e6, 1)})

    return warehouse_copy
