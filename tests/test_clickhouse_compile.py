"""Every dbt model compiles for ClickHouse (dbt-clickhouse), the engine past one server (docs/scale.md).

No ClickHouse server runs here, and none is faked: dbt compiles with the profile's port closed and no
relation cache, and is told whether each incremental model's table exists (tests/clickhouse_project.py),
once for a first build and once for an incremental run. The compiled SQL is parsed with sqlglot's
ClickHouse dialect and checked for spellings ClickHouse rejects; tests/test_clickhouse_engine.py runs it.
"""

from __future__ import annotations

import re

import dlt
import pytest
import sqlglot

from clickhouse_project import TRANSFORM, closed_port, compile_for_clickhouse
from ingestion.pipeline import RAW_DATASET
from ingestion.source import MERGE_BY_FILE

MODES = {"first_build": False, "incremental": True}
# Spellings ClickHouse 26.9 rejects (tried in chDB), each one that a clickhouse__ macro replaces.
FOREIGN_SPELLINGS = {
    "generate_series": r"\bgenerate_series\s*\(",
    "lateral join": r"\blateral\b",
    "at time zone (a per-row zone)": r"\bat\s+time\s+zone\b",
    "ordered-set aggregate": r"\bwithin\s+group\b",
    "DuckDB's regexp_extract": r"\bregexp_extract\s*\(",
    "substring ... from": r"\bsubstring\s*\([^()]*\bfrom\b",
    "Postgres encode/convert_to": r"\b(encode|convert_to)\s*\(",
    "cast to double precision": r"\bdouble\s+precision\b",
    "Postgres :: cast": r"::",
    "bare union": r"\bunion\b(?!\s+(all|distinct)\b)",
    "CTE materialization hint": r"\bnot\s+materialized\b",
}
# What each clickhouse__ implementation writes, and a model that uses it.
CLICKHOUSE_SPELLINGS = {
    "join_days_between": ("dim_dates", "array join arrayMap("),
    "local_date": ("stg_taobao__orders", "toDate(toString("),
    "regexp_capture": ("stg_taobao__orders", "regexpExtract("),
    "sha256_hex": ("stg_taobao__orders", "lower(hex(SHA256("),
    "safe_divide": ("kpi_shop_daily", "nullIf(toFloat64("),
    "median_continuous": ("customer_rfm", "quantileExactInclusive(0.5)("),
    "lead_or_null": ("int_cogs_price_periods", "lead(toNullable("),
    "lag_or_null": ("kpi_customer_period", "lag(toNullable("),
    "not_materialized": ("int_orders", "with order_keys as  ("),  # ClickHouse inlines every CTE: no hint
}


@pytest.fixture(scope="module")
def compiled(tmp_path_factory) -> dict[str, dict]:
    """Every model compiled for ClickHouse, per mode: the manifest's model nodes by name."""
    root = tmp_path_factory.mktemp("clickhouse")
    return {mode: compile_for_clickhouse(root, incremental, salt="test-salt") for mode, incremental in MODES.items()}


@pytest.mark.parametrize("mode", MODES)
def test_every_model_compiles_for_clickhouse(compiled, mode):
    models = {path.stem for path in (TRANSFORM / "models").rglob("*.sql")}
    assert set(compiled[mode]) == models
    empty = [name for name, node in compiled[mode].items() if not (node.get("compiled_code") or "").strip()]
    assert not empty


@pytest.mark.parametrize("mode", MODES)
def test_compiled_sql_parses_as_clickhouse(compiled, mode):
    failures = {}
    for name, node in compiled[mode].items():
        try:
            sqlglot.parse_one(node["compiled_code"], read="clickhouse")
        except sqlglot.errors.ParseError as error:
            failures[name] = str(error)[:400]
    assert not failures


@pytest.mark.parametrize("mode", MODES)
def test_no_duckdb_or_postgres_spelling_is_left(compiled, mode):
    left = {(name, spelling) for name, node in compiled[mode].items()
            for spelling, pattern in FOREIGN_SPELLINGS.items()
            if re.search(pattern, node["compiled_code"], flags=re.IGNORECASE)}
    assert not left


def test_every_dispatched_macro_has_a_clickhouse_implementation():
    macros = "\n".join(path.read_text(encoding="utf-8") for path in (TRANSFORM / "macros").glob("*.sql"))
    dispatched = set(re.findall(r"adapter\.dispatch\('(\w+)', 'ecomops'\)", macros))
    implemented = set(re.findall(r"\{%-?\s*macro clickhouse__(\w+)\(", macros))
    assert dispatched == implemented == set(CLICKHOUSE_SPELLINGS)


@pytest.mark.parametrize("macro", CLICKHOUSE_SPELLINGS)
def test_clickhouse_spelling_reaches_the_models(compiled, macro):
    model, spelling = CLICKHOUSE_SPELLINGS[macro]
    assert spelling in compiled["first_build"][model]["compiled_code"]


def test_incremental_models_use_dbt_clickhouse_delete_insert(compiled):
    """delete_insert is dbt-clickhouse's delete+insert, and it refuses to run without a unique key."""
    incremental = {name: node["config"] for name, node in compiled["incremental"].items()
                   if node["config"]["materialized"] == "incremental"}
    assert len(incremental) >= 10
    assert {config["incremental_strategy"] for config in incremental.values()} == {"delete_insert"}
    assert all(config["unique_key"] for config in incremental.values())
    # Only an incremental run reads the model's own table (its rebuild window, its last load).
    for name in incremental:
        own_table = f"`{compiled['incremental'][name]['schema']}`.`{name}`"
        assert own_table in compiled["incremental"][name]["compiled_code"], name
        assert own_table not in compiled["first_build"][name]["compiled_code"], name


def test_sources_read_the_tables_dlt_creates_on_clickhouse(compiled, tmp_path):
    """dlt's clickhouse destination puts the raw dataset in one database, as prefixed table names; dlt
    itself names them here (no connection opened), and the staging models read those names."""
    destination = dlt.destinations.clickhouse(credentials=f"clickhouse://ecomops:unused@127.0.0.1:{closed_port()}/ecomops")
    pipeline = dlt.pipeline(pipeline_name="clickhouse_names", destination=destination, dataset_name=RAW_DATASET,
                            pipelines_dir=str(tmp_path))
    dlt_name = pipeline.sql_client().make_qualified_table_name("taobao_orders")
    assert dlt_name == "`ecomops`.`raw___taobao_orders`"
    assert dlt_name in compiled["first_build"]["stg_taobao__orders"]["compiled_code"]
    # The landing's merge (delete-insert by source file) is one dlt's clickhouse destination supports.
    assert MERGE_BY_FILE["write_disposition"]["strategy"] in destination.capabilities().supported_merge_strategies
