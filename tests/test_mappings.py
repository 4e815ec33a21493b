"""Mappings are the only place platform quirks live: a renamed column or a new platform is a config change."""

from __future__ import annotations

import shutil

import pytest
import yaml

from ingestion.mapping import PACKAGED_MAPPINGS, MappingError, load_mappings
from test_ingestion_formats import TAOBAO_HEADER, taobao_line


@pytest.fixture
def mappings_copy(tmp_path):
    root = tmp_path / "mappings"
    shutil.copytree(PACKAGED_MAPPINGS, root)
    return root


def _edit_yaml(path, change):
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")


def test_packaged_mappings_cover_every_kind_of_every_platform():
    mappings = load_mappings()
    kinds = yaml.safe_load((PACKAGED_MAPPINGS / "kinds.yaml").read_text(encoding="utf-8"))
    expected = {f"{p}_{k}" for p in kinds["platforms"] for k in kinds["platform_kinds"]} | {f"erp_{k}" for k in kinds["erp_kinds"]}
    assert set(mappings.by_table) == expected
    assert mappings.platforms == ("taobao", "tmall", "jd", "pdd", "douyin")
    for mapping in mappings.by_table.values():
        assert any(c.required for c in mapping.columns.values()), f"{mapping.table_name} rejects nothing"


def test_a_renamed_export_column_is_one_more_header_alias(make_landing, mappings_copy):
    renamed = [("订单号" if h == "主订单编号" else h) for h in TAOBAO_HEADER]
    before = make_landing("before")
    before.write_csv("taobao/tb01/orders/new_export.csv", [renamed, taobao_line()])
    assert "missing required column 主订单编号 / 订单编号 (order_id)" in before.load().rejected()[0]["reason"]

    _edit_yaml(mappings_copy / "taobao/orders.yaml", lambda m: m["columns"]["order_id"]["headers"].append("订单号"))
    after = make_landing("after")
    after.write_csv("taobao/tb01/orders/new_export.csv", [renamed, taobao_line(order="77")])
    report = after.load(mappings_dir=mappings_copy)
    assert report.rejected() == []
    assert after.query("select order_id from raw.taobao_orders") == [("77",)]


def test_a_new_platform_is_a_mappings_folder(make_landing, mappings_copy):
    _edit_yaml(mappings_copy / "kinds.yaml", lambda k: k["platforms"].append("kuaishou"))
    shutil.copytree(mappings_copy / "douyin", mappings_copy / "kuaishou")
    landing = make_landing("kuaishou")
    with (landing.root / "shops.yaml").open("a", encoding="utf-8") as shops:
        shops.write("  - {shop_code: ks01, platform: kuaishou, shop_name: 示例快手小店}\n")
    landing.write_csv(
        "kuaishou/ks01/orders/订单.csv",
        [["主订单编号", "子订单编号", "订单状态", "订单提交时间", "商家编码", "商品数量", "商品金额", "订单应付金额"],
         ["'5001", "'5001-1", "已完成", "2026-11-24 10:00:00", "SKU-1", "2", "40", "40"]],
    )
    landing.load(mappings_dir=mappings_copy)
    assert landing.query("select platform, shop_code, order_id, unit_price from raw.kuaishou_orders") == [("kuaishou", "ks01", "5001", 20.0)]


def test_mapping_mistakes_name_the_file(mappings_copy):
    _edit_yaml(mappings_copy / "jd/orders.yaml", lambda m: m["columns"].update({"order_number": {"headers": ["订单号"]}}))
    with pytest.raises(MappingError, match=r"jd/orders.yaml: column 'order_number' is not in the canonical orders schema"):
        load_mappings(mappings_copy)
