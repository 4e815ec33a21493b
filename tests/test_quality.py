"""Quality gates end to end: bad exports are stopped at raw, the marts keep their contents, a fix goes through.

One module-scoped scenario runs the real pipeline three times (`ecomops run`, real DuckDB,
real Dagster, real dbt) on a generated landing of 5 shops: days 1-11 clean; then day 12
with injected defects; then day 12 fixed. Tests read what each step printed and left behind.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import re
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pytest
from great_expectations.core.expectation_suite import ExpectationSuite
from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

from demo_data import generate
from ecomops.cli import main
from ingestion.api_tables import API_KINDS, API_PRIMARY_KEYS, api_arrow_schema, api_table
from ingestion.mapping import load_mappings
from quality.catalog import read_catalog
from quality.chunks import file_chunks
from quality.config import suite_configs
from quality.personal import mask, masked_row
from quality.raw_gate import run_raw_gate
from quality.records import ensure_gate_tables
from quality.screening import screen_alike_tables
from quality.suites import _batch_definition, validate
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
    api_tables = {api_table(platform, kind) for platform in mappings.platforms for kind in API_KINDS}
    assert {f"raw.{t}" for t in raw_tables | api_tables} | {f"marts.{m}" for m in
                                                          ("fct_orders", "fct_order_lines", "kpi_shop_daily",
                                                           "fct_inventory_daily")} == set(suites)
    for table, mapping in mappings.by_table.items():
        canonical = set(mapping.schema) | {"platform", "shop_code", "_source_file", "_source_row"}
        assert set(suites[f"raw.{table}"].columns) <= canonical, table
        if mapping.kind in API_KINDS:  # the API table of the same platform and kind, as platform sync writes it
            api = suites[f"raw.{api_table(mapping.platform, mapping.kind)}"]
            assert api.from_api and set(api.columns) | set(api.row_key) <= set(api_arrow_schema(mapping.kind, mapping.schema).names)
            assert set(api.row_key) == set(API_PRIMARY_KEYS[mapping.kind]), table


def test_chunks_are_bounded_and_never_split_a_file():
    with duckdb.connect() as con:
        reader = con.sql(
            "select 'f' || (i // 7) as _source_file, i as _source_row from range(100) t(i) order by 1, 2"
        ).to_arrow_reader(5)
        chunks = list(file_chunks(reader, chunk_rows=20, split_on_file=True))
    files_per_chunk = [set(c.column("_source_file").to_pylist()) for c in chunks]
    assert sum(c.num_rows for c in chunks) == 100
    assert all(c.num_rows <= 20 + 7 for c in chunks)
    assert all(a.isdisjoint(b) for i, a in enumerate(files_per_chunk) for b in files_per_chunk[i + 1:])
    assert isinstance(chunks[0], pa.Table)


def test_personal_data_is_masked_in_failing_row_samples():
    row = masked_row({"receiver_phone": "13001756580", "receiver_name": "丁伟丽", "order_id": "3000057637572466367"})
    assert row == {"receiver_phone": "130****80", "receiver_name": "丁**", "order_id": "3000057637572466367"}
    assert mask("江苏省苏州市吴中区中山路275号锦绣家园9栋3单元1903室") == "江苏省****3室"


def test_validation_in_two_passes_gives_what_one_complete_validation_gives():
    frame = pd.DataFrame({"file": ["f"] * 4, "id": [1, 2, 2, 4], "amount": [5.0, -1.0, 3.0, None],
                          "status": ["a", "b", "zz", "a"], "refund": [1.0, 9.0, 0.0, 0.0]})
    expectations = [
        ("expect_column_values_to_not_be_null", {"column": "id"}, "critical"),  # holds
        ("expect_column_values_to_not_be_null", {"column": "amount"}, "critical"),
        ("expect_column_values_to_be_between", {"column": "amount", "min_value": 0}, "critical"),
        ("expect_column_values_to_be_between", {"column": "amount", "min_value": 0, "mostly": 0.5}, "warning"),  # holds, 1 row fails
        ("expect_compound_columns_to_be_unique", {"column_list": ["file", "id"]}, "critical"),
        ("expect_column_values_to_be_in_set", {"column": "status", "value_set": ["a", "b"]}, "warning"),
        ("expect_column_values_to_match_regex", {"column": "status", "regex": "^[a-z]+$"}, "critical"),  # holds
        ("expect_column_pair_values_a_to_be_greater_than_b",
         {"column_A": "amount", "column_B": "refund", "or_equal": True, "ignore_row_if": "either_value_is_missing"}, "critical"),
    ]
    suite = ExpectationSuite(name="two_passes", expectations=[
        ExpectationConfiguration(type=kind, kwargs=kwargs, severity=severity) for kind, kwargs, severity in expectations])
    complete = _batch_definition().get_batch(batch_parameters={"dataframe": frame}).validate(suite, result_format={
        "result_format": "COMPLETE", "unexpected_index_column_names": ["id"], "partial_unexpected_count": 20}).results
    two_passes = validate(frame, suite, ["id"])

    def what_the_gate_reads(results):  # as text: a missing amount is NaN, never equal to itself
        read = ("element_count", "unexpected_count", "unexpected_list", "unexpected_index_list")
        return [repr((r.success, r.expectation_config, [r.result.get(k) or None for k in read])) for r in results]

    assert what_the_gate_reads(two_passes) == what_the_gate_reads(complete)
    assert sum(bool(r.result.get("unexpected_index_list")) for r in two_passes) == 6


ADS_PLATFORMS = ("jd", "taobao", "tmall")


def _ads_warehouse(path: Path, bad_spend_on: str | None) -> None:
    """Three platforms' ads tables: an old load already gated, and a new one of two files (one row of it bad)."""
    with duckdb.connect(str(path)) as con:
        ensure_gate_tables(con)
        con.execute("create schema raw")
        for platform in ADS_PLATFORMS:
            con.execute(f"""
                create table raw.{platform}_ads as
                select '{platform}' as platform, 's1' as shop_code, current_date - 1 as stat_date, 'search' as ad_product,
                    'c' || i as campaign_id, 10.0 * i as spend, i as impressions, i as clicks, 0 as attributed_orders,
                    0.0 as attributed_gmv, '{platform}/ads_' || (i // 3) || '.csv' as _source_file, i % 3 + 2 as _source_row,
                    now() - interval 1 hour as _file_mtime, case when i < 3 then 'L1' else 'L2' end as _dlt_load_id
                from range(9) t(i)""")
            con.execute("insert into quality.gate_passes values (?, 'L1', 'r0', now())", [f"{platform}_ads"])
        if bad_spend_on:
            con.execute(f"update raw.{bad_spend_on}_ads set spend = -1 where _source_file like '%ads_2.csv' and _source_row = 3")


def _gate_ads(path: Path, together: bool) -> tuple[set, dict, list, dict]:
    configs = [suite_configs()[f"raw.{p}_ads"] for p in ADS_PLATFORMS]
    with duckdb.connect(str(path)) as con:
        catalog = read_catalog(con, configs)
        screened = screen_alike_tables(con, configs, catalog) if together else {}
        results = {c.table: dataclasses.replace(run_raw_gate(con, c, catalog, run_id="r1", screened=screened.get(c.table)),
                                                seconds=0) for c in configs}
        quarantined = con.execute("select _source_file, _source_row, _quarantine_reasons from quarantine.tmall_ads").fetchall()
        return set(screened), results, quarantined, read_catalog(con, configs).pending_loads


@pytest.mark.parametrize("bad_spend_on", [None, "tmall"])
def test_alike_tables_screened_together_gate_exactly_as_alone(tmp_path, bad_spend_on):
    for name in ("together", "alone"):
        _ads_warehouse(tmp_path / f"{name}.duckdb", bad_spend_on)
    screened, together, quarantined, pending_after = _gate_ads(tmp_path / "together.duckdb", together=True)
    _, alone, quarantined_alone, _ = _gate_ads(tmp_path / "alone.duckdb", together=False)

    assert together == alone and quarantined == quarantined_alone
    assert all(r.rows == 6 and r.files == 2 and r.load_ids == ["L2"] for r in together.values())
    if bad_spend_on:  # one failing row anywhere: every table of the group is validated on its own
        assert screened == set()
        assert [t for t, r in together.items() if r.blocks] == ["tmall_ads"]
        assert quarantined == [("tmall/ads_2.csv", 3, "expect_column_values_to_be_between(spend, min_value=0) [critical]")]
        assert pending_after == {"tmall_ads": ["L2"]}  # the failed load stays pending
    else:
        assert screened == {f"{p}_ads" for p in ADS_PLATFORMS}
        assert all(r.passed and len(r.outcomes) == 10 for r in together.values())
        assert pending_after == {}  # a step's catalog is read again by the next step, never reused
