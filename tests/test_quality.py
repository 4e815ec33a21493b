"""Quality gates end to end: bad exports are stopped at raw, the marts keep their contents, a fix goes through.

One module-scoped scenario runs the real pipeline three times (`ecomops run`, real DuckDB,
real Dagster, real dbt) on a generated landing of 5 shops: days 1-11 clean; then day 12
with injected defects; then day 12 fixed. Tests read what each step printed and left behind.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from ecomops.cli import main
from ecomops.demo_data import generate
from ingestion.mapping import load_mappings
from quality.config import suite_configs
from quality.gate import _file_chunks
from quality.report import mask, masked_row
from test_ingestion_formats import TAOBAO_HEADER, taobao_line

BAD_DAY = "20261012"
BAD_DAY_END = 1_791_849_540  # 2026-10-12 23:59:00 (local time read as UTC, like the generator's mtimes)
PDD_BAD_DAY_ORDERS = "pdd/pdd01/orders/订单列表_20261012.csv"
TAOBAO_EXTRA = "taobao/tb01/orders/订单导出_20261012_补录.csv"
ENV = ("ECOMOPS_LANDING", "ECOMOPS_WAREHOUSE", "ECOMOPS_QUARANTINE", "ECOMOPS_SERVING")


def _file_day(path: Path) -> str | None:
    dates = re.findall(r"\d{8}", path.name)
    return dates[-1] if dates else None


def _taobao_rows(fixed: bool) -> list[list[str]]:
    """Four orders of the bad day: a negative amount, conflicting order amounts, an unknown status, an unknown SKU."""
    at = {"created": "2026-10-12 10:00:00", "paid": "2026-10-12 10:01:00"}
    rows = [
        TAOBAO_HEADER,
        taobao_line(order="9100001", line="9100001", sku="SKU-00003", **at,
                    order_amount="50.00" if fixed else "-50.00", line_amount="50.00" if fixed else "-50.00"),
        taobao_line(order="9100002", line="9100021", sku="SKU-00003", **at, order_amount="180.00", line_amount="100.00"),
        taobao_line(order="9100002", line="9100022", sku="SKU-00003", **at,
                    order_amount="180.00" if fixed else "100.00", line_amount="80.00"),
        taobao_line(order="9100003", line="9100003", sku="SKU-00003", **at,
                    status="交易成功" if fixed else "异常状态"),
        taobao_line(order="9100004", line="9100004", sku="SKU-00003" if fixed else "SKU-NOPE", **at),
    ]
    return [rows[0] + ["买家会员名"]] + [row + [f"buyer{n}"] for n, row in enumerate(rows[1:])]


def _write_taobao_extra(landing: Path, fixed: bool) -> None:
    path = landing / TAOBAO_EXTRA
    path.write_text("\n".join(",".join(row) for row in _taobao_rows(fixed)) + "\n", encoding="utf-8")
    os.utime(path, (BAD_DAY_END, BAD_DAY_END))


def _keep_five_percent_of_new_orders(source: Path, target: Path) -> None:
    """PDD order ids start with the creation date: keep 1 in 20 of the orders created that day."""
    lines = source.read_bytes().split(b"\n")
    created_that_day = [i for i, line in enumerate(lines) if line.startswith(b"\t" + BAD_DAY[2:].encode() + b"-")]
    dropped = {i for n, i in enumerate(created_that_day) if n % 20}
    target.write_bytes(b"\n".join(line for i, line in enumerate(lines) if i not in dropped))
    os.utime(target, (BAD_DAY_END, BAD_DAY_END))


def _run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def _query(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


MART_STATE = {
    "fct_orders": "select count(*), round(sum(gmv_amount), 2), max(created_date) from marts.fct_orders",
    "kpi_shop_daily": "select count(*), round(sum(paid_amount), 2), max(date) from marts.kpi_shop_daily",
    "fct_inventory_daily": "select count(*), max(inventory_date) from marts.fct_inventory_daily",
}


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    root = tmp_path_factory.mktemp("quality")
    generated, landing, warehouse = root / "generated", root / "landing", root / "warehouse.duckdb"
    generate(generated, shops=5, days=12)
    bad_day_files = []
    for path in sorted(p for p in generated.rglob("*") if p.is_file()):
        relative = path.relative_to(generated)
        (landing / relative).parent.mkdir(parents=True, exist_ok=True)
        if _file_day(path) == BAD_DAY:
            bad_day_files.append(relative)
        else:
            shutil.copy2(path, landing / relative)
    steps = {}
    with pytest.MonkeyPatch.context() as env:
        for name in ENV:
            env.setenv(name, str(root / name.lower()))
        env.setenv("DAGSTER_HOME", str(root / "dagster_home"))
        paths = ("--landing", str(landing), "--warehouse", str(warehouse))

        steps["clean"] = _run("run", *paths)
        steps["clean_marts"] = {m: _query(warehouse, sql) for m, sql in MART_STATE.items()}

        for relative in bad_day_files:
            shutil.copy2(generated / relative, landing / relative)
        _keep_five_percent_of_new_orders(generated / PDD_BAD_DAY_ORDERS, landing / PDD_BAD_DAY_ORDERS)
        _write_taobao_extra(landing, fixed=False)
        steps["bad"] = _run("run", *paths)
        steps["bad_marts"] = {m: _query(warehouse, sql) for m, sql in MART_STATE.items()}
        steps["bad_quarantine"] = _query(warehouse, "select _source_row, _quarantine_reasons from quarantine.taobao_orders "
                                                    f"where _source_file = '{TAOBAO_EXTRA}' order by 1")
        steps["check"] = _run("check", "--select", "raw/taobao_orders", "raw/pdd_orders", *paths)
        steps["unfixed"] = _run("run", *paths)
        steps["unfixed_marts"] = {m: _query(warehouse, sql) for m, sql in MART_STATE.items()}

        shutil.copy2(generated / PDD_BAD_DAY_ORDERS, landing / PDD_BAD_DAY_ORDERS)
        _write_taobao_extra(landing, fixed=True)
        steps["fixed"] = _run("run", *paths)
        steps["fixed_marts"] = {m: _query(warehouse, sql) for m, sql in MART_STATE.items()}
        steps["fixed_quarantine"] = _query(warehouse, "select count(*) from quarantine.taobao_orders "
                                                      f"where _source_file = '{TAOBAO_EXTRA}'")
        steps["warnings"] = _run("check", "--all-rows", "--select", "raw/*_orders", *paths)
    return steps


def test_clean_landing_passes_every_blocking_gate(scenario):
    code, out, err = scenario["clean"]
    assert code == 0, err[-3000:]
    assert scenario["clean_marts"]["fct_orders"][0][2].isoformat() == "2026-10-11"


def test_bad_exports_fail_the_right_blocking_checks_naming_them(scenario):
    code, _, err = scenario["bad"]
    assert code == 1
    failed = re.findall(r"blocking check failed: (\S+) quality_gate: (.*)", err)
    by_asset = dict(failed)
    assert {"raw/taobao_orders", "raw/pdd_orders"} <= set(by_asset)
    taobao = by_asset["raw/taobao_orders"]
    assert "expect_column_values_to_be_between(order_paid_amount, min_value=0)" in taobao
    assert "expect_column_values_to_be_between(order_amount_spread_in_file" in taobao
    assert "expect_column_values_to_be_null(unknown_sku_code)" in taobao
    assert "volume: count(distinct order_id) per shop_code and day >= 0.2" in by_asset["raw/pdd_orders"]
    assert "raw/taobao_traffic_shop" not in by_asset


def test_marts_keep_their_previous_contents_when_a_raw_gate_fails(scenario):
    assert scenario["bad_marts"] == scenario["clean_marts"]


def test_a_failed_load_stays_gated_until_its_files_are_fixed(scenario):
    code, _, err = scenario["unfixed"]
    assert code == 1 and "blocking check failed: raw/taobao_orders" in err
    assert scenario["unfixed_marts"] == scenario["clean_marts"]


def test_failing_rows_are_quarantined_with_their_reasons(scenario):
    reasons = dict(scenario["bad_quarantine"])
    assert "order_paid_amount, min_value=0" in reasons[2]  # the negative amount, file row 2
    assert "order_amount_spread_in_file" in reasons[3] and "order_amount_spread_in_file" in reasons[4]
    assert "expect_column_values_to_be_in_set(status" in reasons[5] and "[warning]" in reasons[5]
    assert "unknown_sku_code" in reasons[6]


def test_check_command_reports_observed_values_of_the_still_failing_loads(scenario):
    code, out, err = scenario["check"]
    assert code == 1 and "quality check FAILED: raw/pdd_orders, raw/taobao_orders" in err
    assert "ERROR raw.taobao_orders" in out and "ERROR raw.pdd_orders" in out
    assert "observed -50.0 ×1" in out and "observed SKU-NOPE ×1" in out and "observed 异常状态 ×1" in out
    assert re.search(r"observed pdd01 2026-10-12: \d+ vs \d+", out)


def test_fixed_files_pass_the_gate_and_the_marts_catch_up(scenario):
    code, _, err = scenario["fixed"]
    assert code == 0, err[-3000:]
    assert scenario["fixed_marts"]["fct_orders"][0][2].isoformat() == "2026-10-12"
    assert scenario["fixed_marts"]["kpi_shop_daily"] != scenario["clean_marts"]["kpi_shop_daily"]
    assert scenario["fixed_quarantine"] == [(0,)]


def test_unknown_generated_statuses_warn_without_blocking(scenario):
    code, out, _ = scenario["warnings"]
    assert code == 0
    assert re.search(r"WARN  raw\.\w+_orders: .*expect_column_values_to_be_in_set\(status", out)


def test_every_raw_table_and_key_mart_has_a_suite_on_existing_columns():
    mappings = load_mappings()
    suites = suite_configs()
    raw_tables = {*mappings.by_table, "shops", "ingest_files"}
    assert {f"raw.{t}" for t in raw_tables} | {f"marts.{m}" for m in
                                             ("fct_orders", "fct_order_lines", "kpi_shop_daily", "fct_inventory_daily")} \
        == set(suites)
    for table, mapping in mappings.by_table.items():
        canonical = set(mapping.schema) | {"platform", "shop_code", "_source_file", "_source_row"}
        assert set(suites[f"raw.{table}"].columns) <= canonical, table


def test_chunks_are_bounded_and_never_split_a_file():
    with duckdb.connect() as con:
        reader = con.sql(
            "select 'f' || (i // 7) as _source_file, i as _source_row from range(100) t(i) order by 1, 2"
        ).to_arrow_reader(5)
        chunks = list(_file_chunks(reader, chunk_rows=20, split_on_file=True))
    files_per_chunk = [set(c.column("_source_file").to_pylist()) for c in chunks]
    assert sum(c.num_rows for c in chunks) == 100
    assert all(c.num_rows <= 20 + 7 for c in chunks)
    assert all(a.isdisjoint(b) for i, a in enumerate(files_per_chunk) for b in files_per_chunk[i + 1:])
    assert isinstance(chunks[0], pa.Table)


def test_personal_data_is_masked_in_failing_row_samples():
    row = masked_row({"receiver_phone": "13001756580", "receiver_name": "丁伟丽", "order_id": "3000057637572466367"})
    assert row == {"receiver_phone": "130****80", "receiver_name": "丁**", "order_id": "3000057637572466367"}
    assert mask("江苏省苏州市吴中区中山路275号锦绣家园9栋3单元1903室") == "江苏省****3室"
