"""Reruns are idempotent, changed files replace their rows, broken files are quarantined while the rest loads."""

from __future__ import annotations

import os

from test_ingestion_formats import TAOBAO_HEADER, taobao_line


def _orders(count: int, status: str = "交易成功") -> list[list[str]]:
    return [TAOBAO_HEADER] + [taobao_line(order=f"10{i:02d}", line=f"20{i:02d}", status=status) for i in range(count)]


def test_loading_the_same_landing_twice_changes_nothing(landing):
    landing.write_csv("taobao/tb01/orders/d1.csv", _orders(3), encoding="gbk")
    landing.write_csv("erp/products/商品.csv", [["商家编码", "商品名称"], ["SKU-1", "T恤"]])
    first = landing.load()
    counts = {t: landing.count(t) for t in ("taobao_orders", "erp_products", "shops", "ingest_files")}
    second = landing.load()
    assert [o["status"] for o in first.outcomes] == ["loaded", "loaded"]
    assert second.outcomes == []  # nothing new: no file was parsed again
    assert {t: landing.count(t) for t in counts} == counts == {"taobao_orders": 3, "erp_products": 1, "shops": 5, "ingest_files": 2}


def test_a_load_keeps_no_second_copy_of_its_rows_in_dlts_working_dir(landing):
    landing.write_csv("taobao/tb01/orders/d1.csv", _orders(3))
    landing.load()
    packages = list(landing.working_dir.glob("*/load/loaded/*"))
    assert packages  # the packages' state stays, for dlt's trace and restores
    assert [path for package in packages for path in package.rglob("completed_jobs/*")] == []


def test_touched_but_unchanged_file_is_not_reloaded(landing):
    path = landing.write_csv("taobao/tb01/orders/d1.csv", _orders(2))
    landing.load()
    load_ids = landing.query("select distinct _dlt_load_id from raw.taobao_orders")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert landing.load().outcomes == []
    assert landing.query("select distinct _dlt_load_id from raw.taobao_orders") == load_ids


def test_changed_file_replaces_its_earlier_rows(landing):
    landing.write_csv("taobao/tb01/orders/d1.csv", _orders(3, status="买家已付款，等待卖家发货"))
    landing.write_csv("taobao/tb01/orders/d2.csv", _orders(1))
    landing.load()
    landing.write_csv("taobao/tb01/orders/d1.csv", _orders(2, status="卖家已发货，等待买家确认"))
    report = landing.load()
    assert [o["_source_file"] for o in report.outcomes] == ["taobao/tb01/orders/d1.csv"]
    assert landing.query("select _source_file, status, count(*) from raw.taobao_orders group by all order by 1") == [
        ("taobao/tb01/orders/d1.csv", "卖家已发货，等待买家确认", 2),
        ("taobao/tb01/orders/d2.csv", "交易成功", 1),
    ]


def test_redelivered_copy_is_recorded_not_loaded_twice(landing):
    content = _orders(2)
    landing.write_csv("taobao/tb01/orders/订单导出_20261124.csv", content)
    landing.write_csv("taobao/tb01/orders/订单导出_20261124(1).csv", content)
    landing.load()
    assert landing.count("taobao_orders") == 2
    copy = landing.ledger("taobao/tb01/orders/订单导出_20261124(1).csv")
    assert copy["status"] == "duplicate" and "订单导出_20261124.csv" in copy["reason"]


def test_rejected_files_are_named_quarantined_and_the_rest_loads(landing):
    good = landing.write_csv("taobao/tb01/orders/good.csv", _orders(2))
    landing.write("taobao/tb01/orders/binary.csv", b"\x81\x30\xff\xfe\x00garbage")
    landing.write_csv("taobao/tb01/orders/no_status.csv", [[c for c in TAOBAO_HEADER if c != "订单状态"], taobao_line()[:2] + taobao_line()[3:]])
    landing.write_csv("taobao/zz99/orders/unknown_shop.csv", _orders(1))
    landing.write_csv("taobao/tb01/orders/bad_number.csv", _orders(2)[:2] + [taobao_line(order="1099", qty="两件")])
    landing.write_csv("taobao/tb01/refunds_old/x.csv", [["a", "b"]])
    report = landing.load()

    assert {o["_source_file"]: o["status"] for o in report.outcomes} == {
        "taobao/tb01/orders/bad_number.csv": "rejected",
        "taobao/tb01/orders/binary.csv": "rejected",
        "taobao/tb01/orders/good.csv": "loaded",
        "taobao/tb01/orders/no_status.csv": "rejected",
        "taobao/zz99/orders/unknown_shop.csv": "rejected",
        "taobao/tb01/refunds_old/x.csv": "rejected",
    }
    assert landing.query("select distinct _source_file from raw.taobao_orders") == [("taobao/tb01/orders/good.csv",)]

    bad_number = landing.ledger("taobao/tb01/orders/bad_number.csv")
    assert (bad_number["error_row"], bad_number["error_column"]) == (3, "购买数量")
    assert bad_number["reason"] == "taobao/tb01/orders/bad_number.csv, row 3, column 购买数量: cannot read '两件' as int (quantity)"
    assert "missing required column 订单状态 (status)" in landing.ledger("taobao/tb01/orders/no_status.csv")["reason"]
    assert "NUL bytes: a damaged file, or not a text export" in landing.ledger("taobao/tb01/orders/binary.csv")["reason"]
    assert "shop 'zz99' is not registered in shops.yaml" in landing.ledger("taobao/zz99/orders/unknown_shop.csv")["reason"]
    assert "unknown export kind 'refunds_old'" in landing.ledger("taobao/tb01/refunds_old/x.csv")["reason"]

    quarantined = landing.quarantine / "taobao/tb01/orders/bad_number.csv"
    assert quarantined.read_bytes() == (landing.root / "taobao/tb01/orders/bad_number.csv").read_bytes()
    assert "row 3, column 购买数量" in quarantined.with_name("bad_number.csv.reason.txt").read_text(encoding="utf-8")
    assert good.exists() and (landing.root / "taobao/tb01/orders/bad_number.csv").exists()  # nothing deleted


def test_fixed_file_loads_on_the_next_run(landing):
    landing.write_csv("taobao/tb01/orders/d1.csv", _orders(1)[:1] + [taobao_line(qty="一")])
    landing.load()
    assert landing.ledger("taobao/tb01/orders/d1.csv")["status"] == "rejected"
    assert landing.load().outcomes == []  # an unchanged broken file is not re-parsed every run
    landing.write_csv("taobao/tb01/orders/d1.csv", _orders(1))
    landing.load()
    assert landing.ledger("taobao/tb01/orders/d1.csv")["status"] == "loaded"
    assert landing.count("taobao_orders") == 1


def test_rerun_after_a_lost_working_dir_is_still_idempotent(landing):
    """A crash can lose dlt's local folder; the state restored from the warehouse keeps the rerun exact."""
    import shutil

    landing.write_csv("taobao/tb01/orders/d1.csv", _orders(3))
    landing.load()
    shutil.rmtree(landing.working_dir)
    assert landing.load().outcomes == []
    assert landing.count("taobao_orders") == 3
