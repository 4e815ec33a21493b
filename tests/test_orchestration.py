"""The Dagster definitions load, and materializing them lands files in a real DuckDB file."""

from __future__ import annotations

import dagster as dg
from dagster_dlt import DagsterDltResource

from ecomops.cli import main
from ecomops.settings import get_settings, warehouse_paths
from ingestion.mapping import load_mappings
from orchestration.definitions import defs
from orchestration.landing.assets import landing_assets
from orchestration.lib.warehouse import WAREHOUSE_POOL, WarehouseResource
from test_ingestion_formats import TAOBAO_HEADER, taobao_line


def test_definitions_load_with_one_raw_asset_per_table_in_the_writer_pool():
    definitions = defs()
    dg.Definitions.validate_loadable(definitions)
    keys = set(definitions.resolve_all_asset_keys())
    expected = {dg.AssetKey(["raw", table]) for table in [*load_mappings().by_table, "shops"]}
    assert expected <= keys
    assets_def = definitions.resolve_assets_def(dg.AssetKey(["raw", "taobao_orders"]))
    assert assets_def.node_def.pool == WAREHOUSE_POOL
    assert {assets_def.group_names_by_key[k] for k in expected} == {"raw"}


def test_materializing_raw_assets_reports_rows_and_rejections(landing):
    landing.write_csv("taobao/tb01/orders/good.csv", [TAOBAO_HEADER, taobao_line(), taobao_line(line="2")])
    landing.write_csv("taobao/tb01/orders/bad.csv", [TAOBAO_HEADER, taobao_line(order_amount="abc")])
    warehouse = WarehouseResource.from_settings(warehouse_paths(landing.warehouse, landing.root))
    result = dg.materialize(
        [landing_assets(get_settings())], resources={"dlt": DagsterDltResource(), "warehouse": warehouse}, instance=dg.DagsterInstance.ephemeral()
    )
    assert result.success
    by_key = {e.asset_key: e.materialization.metadata for e in result.get_asset_materialization_events()}
    orders = by_key[dg.AssetKey(["raw", "taobao_orders"])]
    assert orders["dagster/row_count"].value == 2
    assert orders["files_loaded"].value == 1 and orders["files_rejected"].value == 1
    assert "bad.csv, row 2, column 买家实际支付金额" in orders["rejected_files"].value
    assert len(by_key) == len(load_mappings().by_table) + 1
    assert landing.count("taobao_orders") == 2


def test_cli_run_materializes_everything_and_fails_loudly(landing, isolated_env, capsys):
    landing.write_csv("jd/jd01/orders/o.csv", [["订单号", "订单状态", "下单时间", "商品ID", "商家SKU", "订购数量", "订单金额"],
                                              ["1", "完成", "2026-11-24", "9", "SKU-1", "1", "10"]])
    assert main(["run", "--landing", str(landing.root), "--warehouse", str(landing.warehouse)]) == 0
    out = capsys.readouterr().out
    assert "jd      " in out and "rejected files: 0" in out
    assert landing.count("jd_orders") == 1

    (landing.root / "shops.yaml").unlink()
    assert main(["run", "--landing", str(landing.root), "--warehouse", str(landing.warehouse)]) == 1
    assert "FAILED" in capsys.readouterr().err
