"""The demo landing: complete, reproducible, quirky as the contract says, and internally consistent."""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
import yaml
from python_calamine import CalamineWorkbook

from demo_data import generate

PLATFORMS = ("taobao", "tmall", "jd", "pdd", "douyin")
PLATFORM_KINDS = ("orders", "refunds", "traffic_shop", "traffic_sku", "ads", "settlement")
ERP_KINDS = ("products", "inventory_snapshot", "inventory_receipts", "cogs", "expenses", "budgets")
NULLS = {"", "-", "--", "无", "无退款申请", "/"}
KNOWN_STATUSES = {
    "等待买家付款", "买家已付款，等待卖家发货", "买家已付款,等待卖家发货", "卖家已发货，等待买家确认", "交易成功", "交易关闭",
    "等待付款", "等待出库", "等待确认收货", "完成", "已取消",
    "待支付", "待发货", "已发货，待签收", "已签收", "已发货", "已完成", "已关闭",
}
TAOBAO_RANK = {"等待买家付款": 0, "买家已付款，等待卖家发货": 1, "买家已付款,等待卖家发货": 1,
               "卖家已发货，等待买家确认": 2, "交易成功": 3, "交易关闭": 4}
SIZE = {"shops": 5, "days": 10, "start": date(2026, 10, 1), "seed": 7}


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("landing")
    summary = generate(out, **SIZE)
    assert summary.orders > 0 and summary.order_lines >= summary.orders
    return out


# -- reading the files the way ingestion has to ----------------------------
def decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise AssertionError("undecodable file")


def read_rows(path: Path, header_hint: str) -> list[dict]:
    """Rows as dicts, header found by a known column name below any title lines."""
    if path.suffix == ".xlsx":
        grid = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
        grid = [["" if cell is None else cell for cell in row] for row in grid]
    else:
        grid = list(csv.reader(io.StringIO(decode(path.read_bytes()))))
    for index, row in enumerate(grid):
        if header_hint in row:
            return [dict(zip(row, values)) for values in grid[index + 1:] if any(str(v) for v in values)]
    raise AssertionError(f"no header {header_hint!r} in {path}")


def ident(value) -> str:
    text = str(value)
    if text.startswith('="') and text.endswith('"'):
        return text[2:-1]
    return text.lstrip("\t'")


def fen(value) -> int | None:
    if isinstance(value, (int, float)):
        return round(value * 100)
    text = str(value).replace(",", "").lstrip("¥￥")
    return None if text in NULLS else round(float(text) * 100)


def files(landing: Path, platform: str, kind: str) -> list[Path]:
    return sorted(landing.glob(f"{platform}/*/{kind}/*"))


def daily(paths: list[Path]) -> list[Path]:
    """Daily exports only: not the 7-day range exports nor re-delivered copies."""
    return [p for p in paths if re.fullmatch(r".*_\d{8}", p.stem)]


# -- completeness and reproducibility --------------------------------------
def test_every_platform_kind_and_erp_kind_has_files(landing):
    for platform in PLATFORMS:
        for kind in PLATFORM_KINDS:
            assert files(landing, platform, kind), f"no {platform}/{kind} file"
    for kind in ERP_KINDS:
        assert list(landing.glob(f"erp/{kind}/*")), f"no erp/{kind} file"
    registry = yaml.safe_load((landing / "shops.yaml").read_text(encoding="utf-8"))["shops"]
    assert {shop["platform"] for shop in registry} == set(PLATFORMS)
    for shop in registry:
        assert (landing / shop["platform"] / shop["shop_code"]).is_dir()
        assert shop["shop_name"]


def test_same_arguments_give_identical_bytes(landing, tmp_path):
    generate(tmp_path, **SIZE)
    first = {p.relative_to(landing): p for p in landing.rglob("*") if p.is_file()}
    second = {p.relative_to(tmp_path): p for p in tmp_path.rglob("*") if p.is_file()}
    assert first.keys() == second.keys()
    for relative, path in first.items():
        assert path.read_bytes() == second[relative].read_bytes(), relative
        assert path.stat().st_mtime == second[relative].stat().st_mtime, relative


def test_file_mtime_is_end_of_export_day(landing):
    path = landing / "jd" / "jd01" / "orders" / "订单列表_20261004.csv"
    stamp = datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.utc)
    assert (stamp.date(), stamp.hour) == (date(2026, 10, 4), 23)


# -- quirks -------------------------------------------------------------------
def test_encodings(landing):
    taobao_orders = files(landing, "taobao", "orders")[0].read_bytes()
    with pytest.raises(UnicodeDecodeError):
        taobao_orders.decode("utf-8")
    assert "主订单编号" in taobao_orders.decode("gbk")
    assert files(landing, "jd", "orders")[0].read_bytes().startswith(b"\xef\xbb\xbf")
    pdd_orders = files(landing, "pdd", "orders")[0].read_bytes()
    assert not pdd_orders.startswith(b"\xef\xbb\xbf") and "订单号" in pdd_orders.decode("utf-8")
    gb18030_only = files(landing, "tmall", "settlement")[0].read_bytes()
    with pytest.raises(UnicodeDecodeError):
        gb18030_only.decode("gbk")
    assert "账务流水号" in gb18030_only.decode("gb18030")


def test_xlsx_is_readable_with_ids_as_strings(landing):
    rows = read_rows(files(landing, "tmall", "orders")[0], "主订单编号")
    assert rows
    for row in rows:
        for column in ("主订单编号", "子订单编号", "商品ID"):
            assert isinstance(row[column], str) and row[column].isdigit() and len(row[column]) >= 16


def test_title_rows_above_header(landing):
    lines = decode(files(landing, "taobao", "traffic_shop")[0].read_bytes()).splitlines()
    assert lines[0].startswith("统计日期：") and lines[1] == "" and lines[2].startswith("统计日期,")
    grid = CalamineWorkbook.from_path(str(files(landing, "tmall", "traffic_shop")[0])).get_sheet_by_index(0)
    first_rows = grid.to_python()[:3]
    assert str(first_rows[0][0]).startswith("统计日期：") and "流量来源" in first_rows[2]


def test_identifier_wrappings(landing):
    taobao = read_rows(files(landing, "taobao", "orders")[0], "主订单编号")
    assert all(re.fullmatch(r'="\d{19}"', row["主订单编号"]) for row in taobao)
    assert all(re.fullmatch(r'="\d{16}"', row["商品ID"]) for row in taobao)
    pdd = read_rows(files(landing, "pdd", "orders")[0], "订单号")
    assert all(row["订单号"].startswith("\t") and row["商品id"].startswith("\t") for row in pdd)
    douyin = read_rows(files(landing, "douyin", "orders")[0], "主订单编号")
    assert all(row["主订单编号"].startswith("'") and row["商品ID"][1:].isdigit() for row in douyin)


def test_null_tokens(landing):
    taobao = [r for p in files(landing, "taobao", "orders") for r in read_rows(p, "主订单编号")]
    assert any(row["发货时间"] == "-" for row in taobao)
    assert any(row["退款状态"] == "无退款申请" for row in taobao)
    assert any(row["订单付款时间"] == "" for row in taobao)
    jd = read_rows(files(landing, "jd", "orders")[0], "订单号")
    assert any(row["出库时间"] == "--" for row in jd) and any(row["订单备注"] == "无" for row in jd)
    douyin = read_rows(files(landing, "douyin", "orders")[0], "主订单编号")
    assert any(row["达人昵称"] == "/" for row in douyin)
    pdd = read_rows(files(landing, "pdd", "orders")[0], "订单号")
    assert any(row["售后状态"] == "无" for row in pdd)


def test_number_formats(landing):
    jd = [r for p in files(landing, "jd", "orders") for r in read_rows(p, "订单号")]
    assert any(re.fullmatch(r"\d{1,3}(,\d{3})+\.\d{2}", row["订单金额"]) for row in jd)
    assert all(re.fullmatch(r"\d{4}/\d{1,2}/\d{1,2} \d{1,2}:\d{2}", row["下单时间"]) for row in jd)
    traffic = read_rows(files(landing, "taobao", "traffic_shop")[0], "流量来源")
    assert all(re.fullmatch(r"\d+\.\d{2}%", row["跳失率"]) for row in traffic)
    douyin_bill = read_rows(files(landing, "douyin", "settlement")[0], "流水号")
    assert "收入金额(分)" in douyin_bill[0] and all(row["收入金额(分)"].isdigit() for row in douyin_bill)
    pdd_bill = read_rows(files(landing, "pdd", "settlement")[0], "账务流水号")
    assert all(row["支出金额(元)"].startswith("¥") for row in pdd_bill)
    jd_refunds = read_rows(files(landing, "jd", "refunds")[0], "服务单号")
    assert all(row["退款金额"].startswith("￥") for row in jd_refunds)
    douyin_traffic = read_rows(files(landing, "douyin", "traffic_shop")[0], "渠道")
    assert all(re.fullmatch(r"\d\d:\d\d:\d\d", row["平均停留时长"]) for row in douyin_traffic)


def test_redelivered_file_is_a_byte_identical_copy(landing):
    copies = sorted(landing.glob("*/*/*/*(1).*"))
    assert copies
    for copy in copies:
        original = copy.with_name(copy.name.replace("(1)", ""))
        assert original.read_bytes() == copy.read_bytes()


def test_some_status_is_outside_the_vocabulary(landing):
    headers = {"taobao": "订单状态", "tmall": "订单状态", "jd": "订单状态", "pdd": "订单状态", "douyin": "订单状态"}
    unknown = {row[column] for platform, column in headers.items()
               for path in files(landing, platform, "orders") for row in read_rows(path, column)} - KNOWN_STATUSES
    assert unknown


def test_ads_tool_from_column_or_file_name(landing):
    taobao_ads = files(landing, "taobao", "ads")
    assert {p.stem.split("_")[0] for p in taobao_ads} == {"直通车", "万相台"}
    assert "推广工具" not in read_rows(taobao_ads[0], "计划ID")[0]
    assert read_rows(files(landing, "jd", "ads")[0], "计划ID")[0]["推广工具"] == "京准通"


# -- consistency -------------------------------------------------------------
# platform: (order id, unit price, quantity, line amount, order amount, shipping, discount columns)
AMOUNTS = {
    "taobao": ("主订单编号", "价格", "购买数量", "子订单实付金额", "买家实际支付金额", "邮费", ("优惠金额",)),
    "tmall": ("主订单编号", "价格", "购买数量", "子订单实付金额", "买家实际支付金额", "邮费", ("优惠金额",)),
    "jd": ("订单号", "京东价", "订购数量", "应付金额", "订单金额", "运费金额", ("优惠金额",)),
    "pdd": ("订单号", None, "商品数量(件)", "用户实付金额(元)", "用户实付金额(元)", "邮费(元)",
            ("店铺优惠折扣(元)", "平台优惠折扣(元)")),
    "douyin": ("主订单编号", None, "商品数量", "商品金额", "订单应付金额", "运费", ("优惠总金额",)),
}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_order_amounts_add_up(landing, platform):
    order_id, price, quantity, line_amount, order_amount, shipping, discounts = AMOUNTS[platform]
    checked = 0
    for path in daily(files(landing, platform, "orders"))[:4]:
        orders = defaultdict(list)
        for row in read_rows(path, order_id):
            orders[ident(row[order_id])].append(row)
        for lines in orders.values():
            head = lines[0]
            paid = fen(head[order_amount])
            assert all(fen(line[order_amount]) == paid for line in lines)  # repeated on every line
            ship = fen(head[shipping]) or 0
            discount = sum(fen(head[column]) or 0 for column in discounts)
            assert sum(fen(line[line_amount]) for line in lines) + ship == paid
            gross = (sum(fen(line[price]) * int(float(line[quantity])) for line in lines) if price
                     else fen(head["商品总价(元)"]) if platform == "pdd" else None)
            if gross is not None:
                assert gross + ship - discount == paid
            checked += 1
    assert checked > 100


def test_refunds_never_exceed_the_line_amount(landing):
    line_paid = {}
    for path in files(landing, "taobao", "orders"):
        for row in read_rows(path, "子订单编号"):
            line_paid[ident(row["子订单编号"])] = fen(row["子订单实付金额"])
    refunds = [r for p in files(landing, "taobao", "refunds") for r in read_rows(p, "退款编号")]
    assert refunds
    for refund in refunds:
        assert 0 < fen(refund["退款金额"]) <= line_paid[ident(refund["子订单编号"])]
        if refund["退款状态"] == "退款成功":
            assert refund["退款完结时间"] not in NULLS
        else:
            assert refund["退款完结时间"] in NULLS


def test_orders_reappear_further_along(landing):
    history = defaultdict(list)
    for path in daily(files(landing, "taobao", "orders")):
        for row in read_rows(path, "主订单编号"):
            if row["订单状态"] in TAOBAO_RANK:
                history[ident(row["主订单编号"])].append((path.stem, TAOBAO_RANK[row["订单状态"]]))
    reappearing = 0
    for states in history.values():
        ranks = [rank for _, rank in sorted(set(states))]
        assert ranks == sorted(ranks), states
        reappearing += len(set(ranks)) >= 3
    assert reappearing > 50


def test_traffic_agrees_with_orders(landing):
    paid_amount = defaultdict(int)
    seen = set()
    for path in files(landing, "jd", "orders"):
        for row in read_rows(path, "订单号"):
            order = ident(row["订单号"])
            if row["付款确认时间"] in NULLS or order in seen:
                continue
            seen.add(order)
            y, m, d = row["付款确认时间"].split()[0].split("/")
            paid_amount[date(int(y), int(m), int(d)).isoformat()] += fen(row["订单金额"])
    for path in files(landing, "jd", "traffic_shop")[:5]:
        rows = read_rows(path, "来源名称")
        day = rows[0]["日期"]
        traffic = sum(fen(row["支付金额"]) for row in rows)
        assert abs(traffic - paid_amount[day]) <= 0.05 * paid_amount[day]
        for row in rows:
            count = lambda column: int(row[column].replace(",", ""))  # noqa: E731
            assert count("曝光量") >= count("点击次数") and count("访客数") <= count("浏览量")
            assert count("下单买家数") >= count("支付买家数")


def test_settlement_entries_are_unique_and_typed(landing):
    entries = [row for platform in ("taobao", "tmall") for path in files(landing, platform, "settlement")
               for row in read_rows(path, "账务流水号")]
    ids = [row["账务流水号"] for row in entries]
    assert len(ids) == len(set(ids))
    types = {row["业务类型"] for row in entries}
    assert {"货款", "技术服务费", "推广费"} <= types


def test_inventory_moves_and_runs_out(landing):
    available = defaultdict(list)
    for path in sorted(landing.glob("erp/inventory_snapshot/*")):
        for row in read_rows(path, "商家编码"):
            assert int(row["可用库存"]) <= int(row["实际库存"])
            available[(row["商家编码"], row["仓库"])].append(int(row["可用库存"]))
    assert any(min(values) <= 0 for values in available.values())  # stock-outs
    assert any(len(set(values)) > 3 for values in available.values())  # stock moves
    receipt_ids = [row["入库单号"] for path in landing.glob("erp/inventory_receipts/*")
                   for row in read_rows(path, "入库单号")]
    assert len(receipt_ids) == len(set(receipt_ids))


def test_buyers_come_back(landing):
    orders_by_buyer = defaultdict(set)
    for path in files(landing, "taobao", "orders"):
        for row in read_rows(path, "买家会员名"):
            orders_by_buyer[row["买家会员名"]].add(ident(row["主订单编号"]))
    repeat = sum(1 for orders in orders_by_buyer.values() if len(orders) >= 2)
    assert repeat / len(orders_by_buyer) > 0.1


def test_range_export_repeats_orders_in_their_current_state(landing):
    week = [p for p in files(landing, "taobao", "orders") if re.fullmatch(r".*_\d{8}-\d{8}", p.stem)]
    assert week
    last_day_file = week[0].with_name(f"订单导出_{week[0].stem[-8:]}.csv")
    latest = {}
    for path in sorted(daily(files(landing, "taobao", "orders"))):
        if path.stem <= last_day_file.stem:
            for row in read_rows(path, "主订单编号"):
                latest[ident(row["子订单编号"])] = row["订单状态"]
    rows = read_rows(week[0], "主订单编号")
    assert rows and all(latest[ident(row["子订单编号"])] == row["订单状态"] for row in rows)


def test_late_refunds_exist(tmp_path):
    generate(tmp_path, shops=1, days=28)
    created = {}
    for path in files(tmp_path, "taobao", "orders"):
        for row in read_rows(path, "主订单编号"):
            created[ident(row["主订单编号"])] = datetime.fromisoformat(row["订单创建时间"])
    ages = [(datetime.fromisoformat(row["退款申请时间"]) - created[ident(row["订单编号"])]).days
            for path in files(tmp_path, "taobao", "refunds")
            for row in read_rows(path, "退款编号")]
    assert max(ages) > 20
