"""No plain personal data outside raw: names, phones, addresses and buyer ids planted in every platform's order
export reach raw and the restricted quarantine, and nothing a reader can open.

One module-scoped scenario runs a real `ecomops run` (a subprocess, real Dagster, dbt, Great Expectations and
DuckDB) on hand-made exports; one row per platform has an order status no vocabulary knows, which a
warning-level expectation quarantines while the run succeeds. Tests then scan every column of every table of
the serving copy and of the warehouse outside raw and quarantine, the run's output and its Dagster event log.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from great_expectations.core.expectation_suite import ExpectationSuite
from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

from conftest import Landing
from ecomops.settings import get_settings, warehouse_paths
from orchestration.lib.warehouse import WarehouseResource
from orchestration.quality.checks import check_result
from quality.catalog import read_catalog
from quality.config import suite_configs
from quality.personal import mask
from quality.raw_gate import run_raw_gate
from quality.records import ensure_gate_tables
from quality.screening import Screened
from quality.suites import validate

REPO = Path(__file__).resolve().parents[1]
ENV = ("ECOMOPS_LANDING", "ECOMOPS_WAREHOUSE", "ECOMOPS_QUARANTINE", "ECOMOPS_SERVING")
UNKNOWN_STATUS = "待人工复核"  # in no status vocabulary: `expect_column_values_to_be_in_set(status)` warns
CREATED, PAID = "2026-11-30 10:15:00", "2026-11-30 10:16:00"


@dataclass(frozen=True)
class Buyer:
    """Personal data that appears nowhere else: unusual names, numbers no generator writes."""

    name: str
    phone: str
    street: str  # street and number
    estate: str
    buyer_id: str | None
    contact: tuple[str, str]  # a name and phone in a free-text note: an unmapped column, so `_extra`

    @property
    def address(self) -> str:
        return f"浙江省杭州市西湖区{self.street}{self.estate}3幢1单元702室"

    @property
    def detail_address(self) -> str:  # PDD and Douyin give province, city and district their own columns
        return f"{self.street}{self.estate}3幢1单元702室"

    @property
    def note(self) -> str:
        return f"到了请联系{self.contact[0]}，电话{self.contact[1]}"

    def planted(self) -> list[str]:
        """Every value as written in any export (the detail address is also the end of the full one)."""
        return [v for v in (self.name, self.phone, self.detail_address, self.buyer_id, *self.contact) if v]

    def fragments(self) -> list[str]:
        """What must not be found outside raw: the values, the given names, phone digits, street, estate."""
        phones = [self.phone, self.contact[1]]
        digits = [re.sub(r"\D", "", p) for p in phones]
        return list(dict.fromkeys([*self.planted(), self.address, self.name[-2:], self.contact[0][-2:], *digits,
                                   *(d[-11:] for d in digits), self.street, self.estate, self.note]))


BUYERS = {
    "taobao": (Buyer("欧阳霁雯", "13907310457", "鹭鸶巷88号", "栖霞苑", "霁月清风_tb8817", ("钟离筱萱", "17706125589")),
               Buyer("司马琰珂", "139-0731-2291", "蓑衣河弄17号", "枕流居", "不言深巷_tb4403", ("闻人昭宁", "17706127730"))),
    "tmall": (Buyer("皇甫翊宸", "+86 152 9846 0312", "鸬鹚湾路203号", "听澜府", "tm_zhuque_40961", ("巫马清越", "17706138841")),
              Buyer("上官沁瑶", "15298463376", "萤火桥街9号", "漱石苑", "tm_qinyao_55187", ("澹台念慈", "17706139952"))),
    "jd": (Buyer("慕容砚辞", "159 3302 7716", "蟠螭坊61号", "鹤鸣里", "jd_xuanwu73025", ("宰父若谷", "17706140063")),
           Buyer("诸葛芷蘅", "15933029428", "雁荡支巷5号", "栖梧园", "jd_zhiheng61394", ("壤驷北辰", "17706141174"))),
    "pdd": (Buyer("东方珞晞", "18170364429", "蝉鸣埠头12号", "汀兰庭", None, ("亓官望舒", "17706142285")),
            Buyer("尉迟澜汐", "181-7036-5530", "芦花渡口33号", "竹影轩", None, ("司寇怀瑾", "17706143396"))),
    "douyin": (Buyer("令狐昀笙", "17658203391", "萍踪弄46号", "云栖筑", None, ("乐正知微", "17706144407")),
               Buyer("公孙婳祎", "176 5820 4402", "荇菜塘78号", "蒹葭里", None, ("段干青禾", "17706145518"))),
}
SHOPS = {"taobao": "tb01", "tmall": "tm01", "jd": "jd01", "pdd": "pdd01", "douyin": "dy01"}
COMPLETED = {"taobao": "交易成功", "tmall": "交易成功", "jd": "完成", "pdd": "已签收", "douyin": "已完成"}
QIANNIU = ["主订单编号", "子订单编号", "订单状态", "订单创建时间", "订单付款时间", "商家编码", "购买数量", "买家实际支付金额",
           "子订单实付金额", "买家会员名", "收货人姓名", "联系手机", "收货地址", "买家留言"]
HEADERS = {
    "taobao": QIANNIU,
    "tmall": QIANNIU,
    "jd": ["订单号", "订单状态", "下单时间", "付款确认时间", "商品ID", "商家SKU", "订购数量", "订单金额", "应付金额",
           "客户账号", "客户姓名", "联系电话", "客户地址", "订单备注"],
    "pdd": ["订单号", "订单状态", "订单成交时间", "商家编码-规格维度", "商品数量(件)", "商品总价(元)", "店铺优惠折扣(元)",
            "平台优惠折扣(元)", "用户实付金额(元)", "收货人", "手机", "省", "市", "区", "详细地址", "商家备注"],
    "douyin": ["主订单编号", "子订单编号", "订单状态", "订单提交时间", "支付完成时间", "商家编码", "商品数量", "商品金额",
               "订单应付金额", "收件人", "收件人手机号", "省", "市", "区", "详细地址", "买家留言"],
}


def _order_id(platform: str, index: int) -> str:
    return f"{list(BUYERS).index(platform) + 7}{index}0588213"


def _row(platform: str, index: int, buyer: Buyer, status: str) -> list[str]:
    order = _order_id(platform, index)
    if platform in ("taobao", "tmall"):
        return [order, f"{order}1", status, CREATED, PAID, "SKU-1", "1", "88.00", "88.00", buyer.buyer_id, buyer.name,
                buyer.phone, buyer.address, buyer.note]
    if platform == "jd":
        return [order, status, CREATED, PAID, "100077", "SKU-1", "1", "88.00", "88.00", buyer.buyer_id, buyer.name,
                buyer.phone, buyer.address, buyer.note]
    if platform == "pdd":
        return [order, status, CREATED, "SKU-1", "1", "88.00", "0", "0", "88.00", buyer.name, buyer.phone, "浙江省",
                "杭州市", "西湖区", buyer.detail_address, buyer.note]
    return [order, f"{order}1", status, CREATED, PAID, "SKU-1", "1", "88.00", "88.00", buyer.name, buyer.phone,
            "浙江省", "杭州市", "西湖区", buyer.detail_address, buyer.note]


def export_path(platform: str) -> str:
    return f"{platform}/{SHOPS[platform]}/orders/orders_20261130.csv"


def write_planted_exports(landing: Landing, platforms=tuple(BUYERS)) -> None:
    """Per platform: a completed order, and one with an unknown status (quarantined by a warning)."""
    for platform in platforms:
        normal, quarantined = BUYERS[platform]
        landing.write_csv(export_path(platform), [HEADERS[platform], _row(platform, 1, normal, COMPLETED[platform]),
                                                  _row(platform, 2, quarantined, UNKNOWN_STATUS)])


def _fragments() -> list[str]:
    return list(dict.fromkeys(f for pair in BUYERS.values() for buyer in pair for f in buyer.fragments()))


def relation_texts(database: Path, skip_schemas: tuple[str, ...] = ()) -> dict[str, str]:
    """Every value of every column of every table and view, cast to text, by `schema.table`."""
    texts = {}
    with duckdb.connect(str(database), read_only=True) as con:
        relations = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = current_database() and table_schema <> all(?) order by all", [list(skip_schemas)]
        ).fetchall()
        for schema, table in relations:
            columns = [c for (c,) in con.execute(
                "select column_name from information_schema.columns where table_catalog = current_database() "
                "and table_schema = ? and table_name = ? order by ordinal_position", [schema, table]).fetchall()]
            cells = ", ".join(f'"{c}"::varchar' for c in columns)
            rows = con.execute(f'select {cells} from "{schema}"."{table}"').fetchall()
            texts[f"{schema}.{table}"] = "\n".join("\x1f".join(v for v in row if v is not None) for row in rows)
    return texts


def hits(texts: dict[str, str], fragments: list[str]) -> dict[str, list[str]]:
    """Where each fragment occurs: {place: [fragments found there]}, empty when nothing leaked."""
    found = {place: [f for f in fragments if f in text] for place, text in texts.items()}
    return {place: present for place, present in found.items() if present}


def _strings(value: object):
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif value is not None:
        yield str(value)


def _event_log_texts() -> dict[str, str]:
    """Every event of every run, as its serialized JSON decoded back: messages, metadata, check results."""
    texts = {}
    with dg.DagsterInstance.get() as instance:
        for run in instance.get_runs():
            for n, entry in enumerate(instance.all_logs(run.run_id)):
                decoded = json.loads(dg.serialize_value(entry))
                texts[f"run {run.run_id} event {n}"] = "\n".join(_strings(decoded))
    return texts


def _dagster_home_files(home: Path, fragments: list[str]) -> dict[str, list[str]]:
    """Fragments in any file Dagster keeps (event log databases, compute logs), plain or JSON-escaped."""
    found = {}
    for path in (p for p in home.rglob("*") if p.is_file()):
        content = path.read_bytes()
        present = [f for f in fragments
                   if f.encode() in content or json.dumps(f)[1:-1].encode() in content]
        if present:
            found[str(path.relative_to(home))] = present
    return found


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    root = tmp_path_factory.mktemp("personal")
    landing = Landing(root)
    write_planted_exports(landing)
    with pytest.MonkeyPatch.context() as env:
        for name in ENV:
            env.setenv(name, str(root / name.lower()))
        env.setenv("ECOMOPS_WAREHOUSE", str(landing.warehouse))
        home = root / "dagster_home"
        env.setenv("DAGSTER_HOME", str(home))
        run = subprocess.run([sys.executable, "-m", "ecomops.cli", "run", "--landing", str(landing.root),
                              "--warehouse", str(landing.warehouse)],
                             cwd=REPO, env=dict(os.environ), capture_output=True, text=True, timeout=900)
        settings = get_settings()
        yield {"run": run, "landing": landing, "settings": settings, "salt": settings.buyer_salt(),
               "events": _event_log_texts(), "dagster_home": home}


def test_the_run_succeeds_with_the_planted_rows_quarantined_by_a_warning(scenario):
    run = scenario["run"]
    assert run.returncode == 0, run.stderr[-3000:]
    for platform, (_, quarantined) in BUYERS.items():  # the warehouse's quarantine keeps the whole row, plain
        ((name, status, reasons),) = scenario["landing"].query(
            f"select receiver_name, status, _quarantine_reasons from quarantine.{platform}_orders")
        assert (name, status) == (quarantined.name, UNKNOWN_STATUS)
        assert re.fullmatch(r"expect_column_values_to_be_in_set\(status, \d+ known values\) \[warning\]", reasons)


def test_the_planted_values_are_in_raw(scenario):
    """The scans below could find them: they did reach the warehouse, plain, where they belong."""
    raw = "\n".join(text for place, text in relation_texts(scenario["landing"].warehouse).items()
                    if place.startswith("raw."))
    planted = [v for pair in BUYERS.values() for buyer in pair for v in buyer.planted()]
    assert [v for v in planted if v not in raw] == []


def test_no_table_a_reader_opens_holds_personal_data(scenario):
    serving = relation_texts(scenario["settings"].serving)
    assert {"quarantine.taobao_orders", "marts.fct_orders", "marts.dim_customers", "raw.ingest_files"} <= set(serving)
    assert hits(serving, _fragments()) == {}


def test_no_warehouse_schema_but_raw_and_quarantine_holds_personal_data(scenario):
    warehouse = relation_texts(scenario["landing"].warehouse, skip_schemas=("raw", "quarantine"))
    assert {"staging", "intermediate", "marts", "quality"} <= {place.split(".")[0] for place in warehouse}
    assert hits(warehouse, _fragments()) == {}


def test_published_quarantine_rows_are_masked_and_join_the_marts_by_buyer_key(scenario):
    salt = scenario["salt"]
    with duckdb.connect(str(scenario["settings"].serving), read_only=True) as con:
        for platform, (_, buyer) in BUYERS.items():
            columns = {c for (c,) in con.execute("select column_name from information_schema.columns "
                                                 "where table_schema = 'quarantine' and table_name = ?",
                                                 [f"{platform}_orders"]).fetchall()}
            assert "_extra" not in columns and {"receiver_name", "receiver_phone", "_quarantine_reasons"} <= columns
            assert "receiver_address" not in columns  # kinds.yaml: dropped
            row = con.execute(
                "select q.receiver_name, q.receiver_phone, q.buyer_id, o.buyer_key "
                f"from quarantine.{platform}_orders q join marts.fct_orders o "
                "on o.platform = q.platform and o.order_id = q.order_id").fetchall()
            hashed = {"phone": _buyer_hash(salt, platform, "phone", buyer.phone),
                      "id": buyer.buyer_id and _buyer_hash(salt, platform, "id", buyer.buyer_id)}
            assert row == [(mask(buyer.name), hashed["phone"], hashed["id"], hashed["id"] or hashed["phone"])]


def _buyer_hash(salt: str, platform: str, tag: str, value: str) -> str:
    """buyer_key's spelling (transform/macros/buyer_key.sql), in Python."""
    return hashlib.sha256(f"{salt}|{platform}|{tag}|{value}".encode()).hexdigest()


def test_neither_the_run_output_nor_the_dagster_event_log_holds_personal_data(scenario):
    run, events = scenario["run"], scenario["events"]
    assert "raw rows per table" in run.stdout and len(events) > 100
    assert any("quarantine.taobao_orders" in text for text in events.values())  # the warning's check result
    assert hits({"stdout": run.stdout, "stderr": run.stderr, **events}, _fragments()) == {}
    assert _dagster_home_files(scenario["dagster_home"], _fragments()) == {}


def test_the_buyer_salt_is_in_no_output_or_event(scenario):
    run, events, salt = scenario["run"], scenario["events"], scenario["salt"]
    assert hits({"stdout": run.stdout, "stderr": run.stderr, **events}, [salt]) == {}
    assert hits(relation_texts(scenario["settings"].serving), [salt]) == {}
    assert _dagster_home_files(scenario["dagster_home"], [salt]) == {}


PERSONAL_EXPECTATIONS = [  # expectations on personal columns that every planted row fails
    ("expect_column_values_to_match_regex", {"column": "receiver_phone", "regex": r"^0\d{3}$"}),
    ("expect_column_values_to_be_in_set", {"column": "receiver_name", "value_set": ["张三"]}),
    ("expect_column_values_to_not_match_regex", {"column": "receiver_address", "regex": "号"}),
    ("expect_column_values_to_be_null", {"column": "buyer_id"}),
    ("expect_column_pair_values_to_be_equal", {"column_A": "buyer_id", "column_B": "receiver_phone"}),
]


def test_check_results_of_expectations_on_personal_columns_mask_observed_values_and_rows(landing):
    write_planted_exports(landing, platforms=("taobao",))
    landing.load()
    config = suite_configs()["raw.taobao_orders"]
    suite = ExpectationSuite(name="personal", expectations=[
        ExpectationConfiguration(type=kind, kwargs=kwargs, severity="warning").to_domain_obj()
        for kind, kwargs in PERSONAL_EXPECTATIONS])
    with duckdb.connect(str(landing.warehouse)) as con:
        ensure_gate_tables(con)
        catalog = read_catalog(con, [config])
        rows = con.sql("select * from raw.taobao_orders order by _source_file, _source_row").to_arrow_table()
        results = validate(rows.to_pandas(), suite, ["_source_file", "_source_row", *config.identity])
        result = run_raw_gate(con, config, catalog, run_id="r1", screened=Screened(rows=rows, results=results))
        quarantined = con.execute("select receiver_name from quarantine.taobao_orders order by all").fetchall()
    assert [o.unexpected_count for o in result.failures] == [2] * len(PERSONAL_EXPECTATIONS)
    assert quarantined == sorted((b.name,) for b in BUYERS["taobao"])  # plain in the restricted quarantine

    phone = next(o for o in result.failures if "receiver_phone" in o.expectation and "regex" in o.expectation)
    assert set(phone.unexpected_values) == {mask(b.phone) for b in BUYERS["taobao"]}
    assert {r["receiver_phone"] for r in phone.sample_rows} == {mask(b.phone) for b in BUYERS["taobao"]}
    check = check_result(config, result)
    texts = {"description": check.description or "",
             **{name: str(value.value) for name, value in check.metadata.items()}}
    assert mask(BUYERS["taobao"][0].name) in texts["failing_rows_sample"]
    assert hits(texts, _fragments()) == {}


def test_a_published_table_with_a_personal_column_is_copied_whole_without_it(tmp_path):
    warehouse = WarehouseResource.from_settings(warehouse_paths(tmp_path / "warehouse.duckdb", tmp_path / "landing"))
    buyer = BUYERS["jd"][0]
    with duckdb.connect(warehouse.warehouse) as con:
        con.execute("create schema marts")
        con.execute("create table marts.fct_contacts as select 'jd' as platform, 1 as order_id, ? as receiver_phone, "
                    "? as receiver_name, '{}' as _extra, now() as _built_at", [buyer.phone, buyer.name])
    keys = {("marts", "fct_contacts"): ("order_id",)}
    for _ in range(2):  # the second publish could replay new rows: a table holding personal data never does
        publication = warehouse.publish_serving_copy(keys)
        assert publication.replaced == ("marts.fct_contacts",) and publication.updated == ()
    salt = warehouse.settings.buyer_salt()
    with duckdb.connect(warehouse.serving, read_only=True) as con:
        assert con.execute("from marts.fct_contacts").fetchall()[0][:4] == (
            "jd", 1, _buyer_hash(salt, "jd", "phone", buyer.phone), mask(buyer.name))
        assert [c for (c,) in con.execute("select column_name from information_schema.columns "
                                          "where table_name = 'fct_contacts'").fetchall()] == [
            "platform", "order_id", "receiver_phone", "receiver_name", "_built_at"]
