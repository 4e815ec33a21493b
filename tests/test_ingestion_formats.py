"""Each quirk of the landing contract, on small files made here, lands as the canonical value."""

from __future__ import annotations

import datetime as dt
import json

import pytest

TAOBAO_HEADER = ["主订单编号", "子订单编号", "订单状态", "订单创建时间", "订单付款时间", "商家编码", "购买数量",
                 "买家实际支付金额", "子订单实付金额", "邮费", "退款状态", "买家留言"]


def taobao_line(order="1001", line="1", status="交易成功", created="2026-11-24 09:30:00", paid="2026-11-24 09:31:00",
                sku="SKU-1", qty="1", order_amount="100.00", line_amount="100.00", shipping="0", refund="无退款申请",
                note="") -> list[str]:
    return [order, line, status, created, paid, sku, qty, order_amount, line_amount, shipping, refund, note]


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.timezone.utc)


def test_gbk_csv_with_title_rows_and_blank_line(landing):
    landing.write_csv(
        "taobao/tb01/orders/订单导出.csv",
        [TAOBAO_HEADER, taobao_line(status="买家已付款，等待卖家发货", note="请尽快发货")],
        encoding="gbk",
        title_lines=["统计日期：2026-11-24~2026-11-24", ""],
    )
    report = landing.load()
    assert [o["status"] for o in report.outcomes] == ["loaded"]
    assert landing.query("select status, _source_row, _extra from raw.taobao_orders") == [
        ("买家已付款，等待卖家发货", 4, json.dumps({"买家留言": "请尽快发货"}, ensure_ascii=False, separators=(",", ":")))
    ]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
def test_encodings_are_detected(landing, encoding):
    # 𠮷 exists in GB18030 but not in GBK: a GB18030 file must still decode.
    title = "𠮷祥旗舰店" if encoding == "gb18030" else "示例店"
    landing.write_csv("taobao/tb01/orders/a.csv", [TAOBAO_HEADER, taobao_line(note=title)], encoding=encoding)
    landing.load()
    assert landing.query("select _extra ->> '买家留言' from raw.taobao_orders") == [(title,)]


def test_null_tokens_become_null(landing):
    rows = [TAOBAO_HEADER]
    for index, token in enumerate(["", "-", "--", "无", "/"]):
        rows.append(taobao_line(line=str(index), paid=token, shipping=token, refund="无退款申请"))
    landing.write_csv("taobao/tb01/orders/a.csv", rows)
    landing.load()
    assert landing.query(
        "select count(*), count(paid_at), count(shipping_fee), count(refund_status) from raw.taobao_orders"
    ) == [(5, 0, 0, 0)]


def test_numbers_with_separators_currency_and_percent(landing):
    landing.write_csv("taobao/tb01/orders/a.csv", [TAOBAO_HEADER, taobao_line(order_amount="1,234.50", line_amount="¥12.5", shipping="￥8")])
    landing.write_csv(
        "taobao/tb01/traffic_shop/流量.csv",
        [["统计日期", "流量来源", "访客数", "浏览量", "跳失率", "平均停留时长", "支付金额"],
         ["2026-11-24", "手淘搜索", "1,200", "3,000", "12.5%", "00:01:05", "5,678.90"],
         ["2026-11-24", "直通车", "80", "100", "0.4", "12.5", "-"]],
        encoding="gbk",
        title_lines=["统计日期：2026-11-24~2026-11-24", ""],
    )
    landing.load()
    assert landing.query("select order_paid_amount, line_paid_amount, shipping_fee from raw.taobao_orders") == [(1234.5, 12.5, 8.0)]
    assert landing.query(
        "select visitors, page_views, bounce_rate, avg_stay_seconds, paid_amount from raw.taobao_traffic_shop order by visitors desc"
    ) == [(1200, 3000, 0.125, 65.0, 5678.9), (80, 100, 0.4, 12.5, None)]


def test_fen_header_is_divided_by_100(landing):
    landing.write_csv(
        "douyin/dy01/settlement/资金流水.csv",
        [["流水号", "发生时间", "订单号", "费用类型", "收入金额(分)", "支出金额（分）"],
         ["E1", "2026-11-24 10:00:00", "'6920000000000000001", "货款", "12345", "0"],
         ["E2", "2026-11-24 10:00:00", "", "佣金", "0", "99"]],
    )
    landing.load()
    assert landing.query("select entry_id, order_id, income, expense from raw.douyin_settlement order by 1") == [
        ("E1", "6920000000000000001", 123.45, 0.0), ("E2", None, 0.0, 0.99)
    ]


def test_wrapped_ids_keep_every_digit(landing):
    landing.write_csv("taobao/tb01/orders/a.csv", [TAOBAO_HEADER, taobao_line(order='="2938475610293847561"', line='="2938475610293847562"')])
    landing.write_csv(
        "pdd/pdd01/orders/订单.csv",
        [["订单号", "订单状态", "订单成交时间", "商家编码-规格维度", "商品数量(件)", "用户实付金额(元)", "商品总价(元)", "店铺优惠折扣(元)", "平台优惠折扣(元)"],
         ["\t260101-123456789012345", "待发货", "2026/11/24 9:30", "SKU-1", "2", "90.00", "100.00", "6", "4"]],
    )
    landing.load()
    assert landing.query("select order_id, line_id from raw.taobao_orders") == [("2938475610293847561", "2938475610293847562")]
    assert landing.query("select order_id, line_id, unit_price, discount_amount, created_at from raw.pdd_orders") == [
        ("260101-123456789012345", "260101-123456789012345", 50.0, 10.0, utc(2026, 11, 24, 1, 30))
    ]


def test_shop_local_timestamps_are_stored_as_instants(landing):
    landing.write_csv("taobao/tb01/orders/a.csv", [TAOBAO_HEADER, taobao_line(created="2026/11/24 9:30", paid="2026-11-24")])
    landing.load()
    assert landing.query("select created_at, paid_at from raw.taobao_orders") == [(utc(2026, 11, 24, 1, 30), utc(2026, 11, 23, 16, 0))]


def test_jd_line_id_is_order_plus_item(landing):
    landing.write_csv(
        "jd/jd01/orders/订单.csv",
        [["订单号", "订单状态", "下单时间", "商品ID", "商家SKU", "订购数量", "订单金额", "应付金额"],
         ['="300001"', "等待出库", "2026-11-24 08:00:00", '="100012345678"', "SKU-1", "1", "59.90", "59.90"],
         ['="300001"', "等待出库", "2026-11-24 08:00:00", '="100012345679"', "SKU-2", "1", "59.90", "0"]],
        encoding="utf-8-sig",
    )
    landing.load()
    assert landing.query("select line_id from raw.jd_orders order by 1") == [("300001-100012345678",), ("300001-100012345679",)]


def test_xlsx_first_sheet_with_title_row_and_numeric_cells(landing):
    landing.write_xlsx(
        "douyin/dy01/orders/订单.xlsx",
        [["抖店订单导出 2026-11-24"],
         [],
         ["子订单编号", "主订单编号", "订单状态", "订单提交时间", "支付完成时间", "商家编码", "商品数量", "商品金额", "订单应付金额"],
         ["6920000000000000002", "6920000000000000001", "已发货", "2026-11-24 20:00:00", "2026-11-24 20:01:00", "SKU-9", 3, 89.7, 89.7]],
    )
    landing.load()
    assert landing.query("select order_id, line_id, quantity, unit_price, order_paid_amount, _source_row from raw.douyin_orders") == [
        ("6920000000000000001", "6920000000000000002", 3, pytest.approx(29.9), 89.7, 4)
    ]


def test_ad_product_comes_from_column_else_file_name(landing):
    header = ["日期", "计划ID", "计划名称", "花费", "总成交金额"]
    landing.write_csv("tmall/tm01/ads/万相台_20261124.csv", [header, ["2026-11-24", "C1", "拉新", "100", "400"]])
    landing.write_csv("tmall/tm01/ads/推广报表.csv", [header + ["推广工具"], ["2026-11-24", "C2", "关键词", "50", "150", "直通车"]])
    landing.load()
    assert landing.query("select campaign_id, ad_product, spend, attributed_gmv from raw.tmall_ads order by 1") == [
        ("C1", "万相台", 100.0, 400.0), ("C2", "直通车", 50.0, 150.0)
    ]


def test_erp_files_land_without_shop_lineage(landing):
    landing.write_csv("erp/budgets/预算.csv", [["月份", "店铺编码", "科目", "预算金额"], ["2026/1", "tb01", "推广", "10,000"]], encoding="gbk")
    landing.load()
    assert landing.query("select month, shop_code, account, budget_amount from raw.erp_budgets") == [("2026-01", "tb01", "推广", 10000.0)]
