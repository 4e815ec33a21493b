"""The semantic layer on a real run: `ecomops run` builds a warehouse and its serving copy, then metric queries
compiled by MetricFlow from the repository's semantic manifest run read-only on the copy and agree with SQL
over marts.kpi_shop_daily to the cent.

The warehouse is named north.duckdb, so the serving copy's catalog is `north` (DuckDB names it after the
file, up to its first dot), not the `warehouse` the manifest was parsed with.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pytest

from demo_data import generate
from ingestion.mapping import load_mappings
from semantic import semantic_layer, to_csv, to_xlsx
from semantic.catalog import GROUPABLE_ENTITIES

REPO = Path(__file__).resolve().parents[1]
MANIFEST = REPO / "transform" / "target" / "semantic_manifest.json"
ECOMOPS = Path(sys.executable).parent / "ecomops"


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> dict:
    """5 shops × 14 days across a month's end through `ecomops run`, as a user runs it: its output and files."""
    root = tmp_path_factory.mktemp("semantic")
    generate(root / "landing", shops=5, days=14, start=dt.date(2026, 10, 24))
    env = {name: value for name, value in os.environ.items() if not name.startswith("ECOMOPS_")}
    env.update(DAGSTER_HOME=str(root / "dagster_home"), ECOMOPS_BUYER_SALT="test-salt")
    (root / "dagster_home").mkdir()
    result = subprocess.run([str(ECOMOPS), "run", "--landing", "landing", "--warehouse", "north.duckdb"], cwd=root,
                            env=env, capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return {"stdout": result.stdout, "warehouse": root / "north.duckdb", "serving": root / "north.serving.duckdb"}


@pytest.fixture(scope="module")
def layer():
    return semantic_layer(MANIFEST)


@pytest.fixture
def serving(run):
    with duckdb.connect(str(run["serving"]), read_only=True) as connection:
        yield connection


def kpi_rows(connection, sql: str, params=()) -> list[tuple]:
    return connection.execute(sql, list(params)).fetchall()


def assert_same(got: list[tuple], expected: list[tuple]):
    """Rows equal, in any order; numbers to a billionth (sums of doubles in another order), so amounts to the cent."""
    assert len(got) == len(expected) > 0, (got, expected)
    for got_row, expected_row in zip(sorted(got, key=str), sorted(expected, key=str)):
        assert len(got_row) == len(expected_row)
        for value, wanted in zip(got_row, expected_row):
            if isinstance(wanted, float):
                assert value == pytest.approx(wanted, rel=1e-9, abs=1e-9), (got_row, expected_row)
            else:
                assert value == wanted, (got_row, expected_row)


def test_the_catalog_lists_the_manifests_metrics(layer):
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    catalog = layer.catalog()
    assert sorted(m["name"] for m in catalog["metrics"]) == sorted(m["name"] for m in manifest["metrics"])
    paid = next(m for m in catalog["metrics"] if m["name"] == "paid_amount")
    assert paid == {"name": "paid_amount", "label": "支付金额", "type": "simple",
                    "description": next(m["description"] for m in manifest["metrics"] if m["name"] == "paid_amount")}
    dimensions = {d["name"]: d["type"] for d in catalog["dimensions"]}
    assert {"metric_time": "time", "shop": "entity", "sku": "entity", "shop__platform": "categorical",
            "shop__shop_name": "categorical"}.items() <= dimensions.items()
    assert {"time", "categorical"} <= {kind for name, kind in dimensions.items() if name != "metric_time"}
    assert catalog["time_grains"] == ["day", "week", "month", "quarter", "year"]


def test_a_rewritten_manifest_is_picked_up_without_a_restart(tmp_path):
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    path = tmp_path / "semantic_manifest.json"
    path.write_text(json.dumps(manifest), encoding="utf-8")
    before = semantic_layer(path)
    assert semantic_layer(path) is before  # built once per version of the file
    paid = next(m for m in manifest["metrics"] if m["name"] == "paid_amount")
    manifest["metrics"].append({**paid, "name": "paid_amount_copy", "label": "支付金额（副本）"})
    path.write_text(json.dumps(manifest), encoding="utf-8")
    after = semantic_layer(path)
    assert "paid_amount_copy" in {m["name"] for m in after.catalog()["metrics"]}
    assert "paid_amount_copy" not in {m["name"] for m in before.catalog()["metrics"]}


def test_no_buyer_level_name_is_offered_or_accepted(layer):
    """Only business entities are group-bys, and no dimension reads a personal or key column."""
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    offered = {d["name"] for d in layer.catalog()["dimensions"]}
    entities = {e["name"] for model in manifest["semantic_models"] for e in model["entities"]}
    assert {"customer", "order"} <= entities  # the manifest has buyer-level entities ...
    assert offered & entities == set(GROUPABLE_ENTITIES)  # ... and only shop and sku are offered
    personal = set(load_mappings().personal_columns)
    assert {"buyer_id", "receiver_phone"} <= personal
    for model in manifest["semantic_models"]:
        primary = next((e["name"] for e in model["entities"] if e["type"] == "primary"), None)
        for dimension in model["dimensions"]:
            column = dimension["expr"] or dimension["name"]
            if f"{primary}__{dimension['name']}" in offered:
                assert column not in personal and not column.endswith("_key") and "buyer" not in column, column
    for name in ("customer", "order", "order_line", "refund", "rfm_customer", "order__customer", "customer__shop"):
        with pytest.raises(ValueError, match=name):
            layer.compile(["paid_amount"], group_by=[name])
    with pytest.raises(ValueError, match="customer"):
        layer.compile(["paid_amount"], where=["{{ Entity('customer') }} = 'tb01:abc'"])


def test_metrics_by_day_and_platform_equal_the_kpi_table_to_the_cent(layer, serving):
    first = kpi_rows(serving, "select min(date) + 3 from marts.kpi_shop_daily")[0][0]
    table = layer.query(serving, ["paid_amount", "paid_orders", "refund_amount", "gmv", "aov", "refund_rate"],
                        group_by=["metric_time__day", "shop__platform"],
                        filters=[("shop__platform", "in", ["tmall", "jd"]), ("metric_time__day", ">=", first)])
    assert table.column_names == ["metric_time__day", "shop__platform", "paid_amount", "paid_orders",
                                  "refund_amount", "gmv", "aov", "refund_rate"]
    expected = kpi_rows(serving, """
        select date, platform, sum(paid_amount), sum(paid_orders), sum(refund_amount), sum(gmv),
               sum(paid_amount) / nullif(sum(paid_orders), 0), sum(refund_amount) / nullif(sum(paid_amount), 0)
        from marts.kpi_shop_daily where platform in ('tmall', 'jd') and date >= ? group by all""", [first])
    assert_same([tuple(row.values()) for row in table.to_pylist()], expected)


@pytest.mark.parametrize("grain", ["week", "month"])
def test_week_and_month_grains_sum_the_days_and_recompute_ratios(layer, serving, grain):
    table = layer.query(serving, ["paid_amount", "aov", "payment_conversion", "roas"],
                        group_by=[f"metric_time__{grain}", "shop"], order_by=[f"metric_time__{grain}"])
    expected = kpi_rows(serving, f"""
        select date_trunc('{grain}', date)::date, shop_code, sum(paid_amount),
               sum(paid_amount) / nullif(sum(paid_orders), 0), sum(payment_conversion * visitors) / nullif(sum(visitors), 0),
               sum(attributed_gmv) / nullif(sum(ad_spend), 0)
        from marts.kpi_shop_daily group by all""")
    got = [tuple(row.values()) for row in table.to_pylist()]
    assert_same(got, expected)
    assert [row[0] for row in got] == sorted(row[0] for row in got)
    assert len({row[0] for row in got}) >= 2  # the 14 days span two months


@pytest.mark.parametrize(("request_", "named"), [
    ({"metrics": ["paid_amout"]}, "paid_amout"),
    ({"metrics": ["paid_amount"], "group_by": ["shop__platfrom"]}, "shop__platfrom"),
    ({"metrics": ["paid_amount"], "group_by": ["metric_time"]}, "metric_time"),
    ({"metrics": ["paid_amount"], "group_by": ["metric_time__hour"]}, "metric_time__hour"),
    ({"metrics": ["paid_amount"], "group_by": ["sku__category"]}, "sku__category"),  # orders have no SKU
    ({"metrics": ["paid_amount"], "order_by": ["-gmv"]}, "-gmv"),
    ({"metrics": ["paid_amount"], "limit": 0}, "limit"),
    ({"metrics": ["paid_amount"], "where": ["1 = 1"]}, "1 = 1"),
    ({"metrics": ["paid_amount"], "where": ["{{ Dimension('shop__platform') }} = 'jd' or true"]}, "or true"),
    ({"metrics": ["paid_amount"], "where": ["{{ Dimension('shop__region') }} = 'jd'"]}, "shop__region"),
    ({"metrics": ["paid_amount"], "where": ["{{ TimeDimension('shop__platform', 'day') }} = 'jd'"]}, "shop__platform"),
    ({"metrics": ["paid_amount"], "filters": [("shop__platform", "like", "j%")]}, "like"),
    ({"metrics": ["paid_amount"], "filters": [("shop__platform", "=", "{{ 7 * 7 }}")]}, "7 \\* 7"),
    ({"metrics": ["paid_amount"], "filters": [("shop__platform", "in", "jd")]}, "jd"),
    ({"metrics": ["paid_amount"], "filters": [("metric_time__day", ">=", object)]}, "object"),
])
def test_a_bad_request_raises_a_value_error_naming_what_is_wrong(layer, request_, named):
    with pytest.raises(ValueError, match=named):
        layer.compile(**request_)


def test_filter_values_are_literals_never_sql(layer, serving):
    by_where = layer.compile(["paid_amount"], group_by=["shop"], where=[
        "{{ Dimension('shop__platform') }} IN ('tmall', 'jd')", "{{ TimeDimension('metric_time', 'day') }} >= '2026-10-03'"])
    by_filters = layer.compile(["paid_amount"], group_by=["shop"], filters=[
        ("metric_time__day", ">=", dt.date(2026, 10, 3)), ("shop__platform", "in", ["tmall", "jd"])])
    assert by_where is by_filters  # one normalized request, compiled once
    injected = layer.query(serving, ["paid_amount"], group_by=["shop"],
                           filters=[("shop__platform", "=", "jd' or '1' = '1")])
    assert injected.num_rows == 0  # the quote was data: no platform has that name


def test_queries_run_on_the_serving_copy_opened_read_only(layer, run, serving, tmp_path):
    assert serving.execute("select current_database()").fetchall() == [("north",)]
    sql = layer.compile(["paid_amount"], group_by=["shop__platform"])
    assert '"warehouse".' not in sql and '"marts"."kpi_shop_daily"' in sql
    table = layer.query(serving, ["paid_amount"], group_by=["shop__platform"])
    expected = kpi_rows(serving, "select platform, sum(paid_amount) from marts.kpi_shop_daily group by all")
    assert_same([tuple(row.values()) for row in table.to_pylist()], expected)
    writable = tmp_path / "copy.duckdb"
    shutil.copyfile(run["serving"], writable)
    with duckdb.connect(str(writable)) as connection, pytest.raises(ValueError, match="read_only=True"):
        layer.query(connection, ["paid_amount"])


def test_csv_and_xlsx_exports_read_back_with_the_same_values(layer, serving, tmp_path):
    table = layer.query(serving, ["paid_amount", "aov", "paid_orders"], group_by=["metric_time__week", "shop__shop_name"],
                        order_by=["metric_time__week", "shop__shop_name"])
    expected = table.to_pandas()
    expected["metric_time__week"] = pd.to_datetime(expected["metric_time__week"])
    assert expected["shop__shop_name"].str.contains("[\u4e00-\u9fff]").all()  # the demo's shop names are Chinese
    (tmp_path / "q.csv").write_bytes(to_csv(table))
    (tmp_path / "q.xlsx").write_bytes(to_xlsx(table))
    from_csv = pd.read_csv(tmp_path / "q.csv", encoding="utf-8-sig", parse_dates=["metric_time__week"])
    from_xlsx = pd.read_excel(tmp_path / "q.xlsx", engine="calamine")
    for read in (from_csv, from_xlsx):
        assert list(read.columns) == table.column_names
        read["metric_time__week"] = pd.to_datetime(read["metric_time__week"])
        pd.testing.assert_frame_equal(read, expected, check_dtype=False, rtol=1e-12)


def test_a_csv_text_cell_that_starts_a_formula_is_written_as_text(tmp_path):
    table = pa.table({"item_title": ["=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "a=b", None],
                      "paid_amount": [-1.5, 2.0, 3.0, 4.0, 5.0, 6.0]})
    read = pd.read_csv(io.BytesIO(to_csv(table)), encoding="utf-8-sig", keep_default_na=False)
    assert read["item_title"].tolist() == ["'=HYPERLINK(\"http://x\")", "'+1", "'-2", "'@SUM(A1)", "a=b", ""]
    assert read["paid_amount"].tolist() == [-1.5, 2.0, 3.0, 4.0, 5.0, 6.0]  # numbers keep their sign


# The run summary's SQL before it asked the semantic layer: the oracle its output is held to.
HEADLINE_SQL = """
with last_days as (
    select * from marts.kpi_shop_daily where date > (select max(date) from marts.kpi_shop_daily) - interval 7 day
)
select platform, min(date), max(date), sum(paid_amount), sum(paid_orders), sum(paid_amount) / nullif(sum(paid_orders), 0),
       sum(refund_amount) / nullif(sum(paid_amount), 0), sum(payment_conversion * visitors) / nullif(sum(visitors), 0),
       sum(attributed_gmv) / nullif(sum(ad_spend), 0), sum(gross_profit) / nullif(sum(net_sales), 0)
from last_days group by platform order by sum(paid_amount) desc
"""


def test_the_run_summary_prints_the_kpi_tables_headline_numbers(run):
    with duckdb.connect(str(run["warehouse"]), read_only=True) as connection:
        rows = connection.execute(HEADLINE_SQL).fetchall()

    def pct(value):
        return f"{value:.1%}" if value is not None else "-"

    expected = [f"  {min(r[1] for r in rows)} .. {max(r[2] for r in rows)}"] + [
        f"  {p:<8}{paid:>14,.2f}{orders:>8,}{(aov or 0):>9,.2f}{pct(refund):>8}{pct(cvr):>8}"
        f"{(f'{roas:.2f}' if roas is not None else '-'):>7}{pct(margin):>8}"
        for p, _, _, paid, orders, aov, refund, cvr, roas, margin in rows]
    printed = run["stdout"].split("headline KPIs, last 7 days")[1].split("\n\n")[0].splitlines()
    assert printed[1] == expected[0]
    assert printed[2].split() == ["platform", "paid_amount", "orders", "aov", "refund%", "pay_cvr", "roas", "margin"]
    assert printed[3:] == expected[1:] and len(expected) == 6
