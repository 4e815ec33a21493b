"""The gates' SQL: the schemas they write, what a step reads once of the warehouse, a table's rows to validate."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

import duckdb

from ingestion.warehouse import WarehouseConnection, as_warehouse_connection
from quality.config import LINEAGE_KEY, RAW_SCHEMA, SuiteConfig

GATE_SCHEMA = "quality"
QUARANTINE_SCHEMA = "quarantine"
PASSES_TABLE = f"{GATE_SCHEMA}.gate_passes"


@dataclass(frozen=True)
class Catalog:
    """What a gates step reads once for all its tables: columns with their types, and raw loads not yet gated.

    Taken before the step's first gate: a gate changes only its own table's passes and quarantine, which
    `run_raw_gate` accounts for, so one catalog serves every table of the step, each gated once.
    """

    columns: dict[str, dict[str, str]]  # `raw.taobao_orders` -> {column: type}, in table order
    pending_loads: dict[str, list[str]]  # raw table -> its dlt load ids not yet gated
    pending_rows: dict[str, int]  # raw table -> rows of those loads


def sql_list(values: list[str]) -> str:
    """String literals, not parameters: DuckDB then prunes row groups by their load id min/max."""
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def read_catalog(con: WarehouseConnection | duckdb.DuckDBPyConnection, configs: list[SuiteConfig]) -> Catalog:
    """The columns of the configs' schemas and of the quarantine; for raw tables, their loads not yet gated
    (found through an index by load, made here on a read-write connection where the warehouse needs one)."""
    con = as_warehouse_connection(con)
    columns: dict[str, dict[str, str]] = defaultdict(dict)
    for schema, table, column, kind in con.rows(
        "select table_schema, table_name, column_name, data_type from information_schema.columns "
        "where table_schema = any(?) order by table_schema, table_name, ordinal_position",
        [sorted({c.schema for c in configs} | {QUARANTINE_SCHEMA})],
    ):
        columns[f"{schema}.{table}"][column] = kind
    loaded = [c for c in configs if c.schema == RAW_SCHEMA and "_dlt_load_id" in columns.get(c.name, {})]
    if not con.read_only:
        for config in loaded:
            con.index_append_order(config.name, "_dlt_load_id")
    pending: dict[str, list[str]] = defaultdict(list)
    pending_rows: Counter = Counter()
    if loaded:
        loads = " union all ".join(f"select {sql_list([c.table])} as table_name, _dlt_load_id as load_id, count(*) as n "
                                   f"from {c.name} group by _dlt_load_id" for c in loaded)
        for table, load_id, rows in con.rows(
            f"select l.table_name, l.load_id, l.n from ({loads}) l where l.load_id not in "
            f"(select p.load_id from {PASSES_TABLE} p where p.table_name = l.table_name) order by 1, 2"
        ):
            pending[table].append(load_id)
            pending_rows[table] += rows
    return Catalog(columns=dict(columns), pending_loads=dict(pending), pending_rows=dict(pending_rows))


@dataclass(frozen=True)
class RowsToValidate:
    """The select of a table's rows to validate, and the columns that find a failing row again."""

    sql: str
    key: list[str]  # finds a failing row in its table (the quarantine copies it by this key)
    index_columns: list[str]  # name a failing row in results: the key, the table's identity, the row's lineage
    by_file: bool  # rows delivered in files (`_source_file`): chunks keep a file whole, quarantine is per file


def _row_key(config: SuiteConfig, columns: list[str]) -> list[str]:
    """How a failing row is found again: the suite's row key (API records: the version key), file and row number,
    else file and the table's first identity column."""
    if config.row_key:
        return list(config.row_key)
    if all(c in columns for c in LINEAGE_KEY):
        return list(LINEAGE_KEY)
    return ["_source_file", config.identity[0]] if "_source_file" in columns else list(config.identity)


def rows_to_validate(config: SuiteConfig, columns: dict[str, str], load_ids: list[str] | None) -> RowsToValidate:
    """The rows to validate (of `load_ids` only, if given) with their derived columns, a file's rows contiguous."""
    key = _row_key(config, list(columns))
    wanted = list(dict.fromkeys([*key, *config.columns, *(["_dlt_load_id"] if config.schema == RAW_SCHEMA else [])]))
    missing = [c for c in wanted if c not in columns]
    if missing:
        raise ValueError(f"{config.name} has no column {', '.join(missing)} (see quality/suites.yaml)")
    select = ", ".join([*(f't."{c}"' for c in wanted), *(f'({sql}) as "{name}"' for name, sql in config.derived)])
    where = "true"
    if load_ids is not None:
        where = f"t._dlt_load_id in ({sql_list(load_ids)})"
    elif config.date_column:
        where = (f"t.{config.date_column} > (select max({config.date_column}) from {config.name})"
                 f" - interval '{int(config.window_days)} day'")
    joins = "".join(f' left join ({sql}) as "{name}" on "{name}"."{column}" = t."{column}"'
                    for name, column, sql in config.lookups)
    order = ", ".join(f't."{c}"' for c in key)
    return RowsToValidate(sql=f"select {select} from {config.name} t{joins} where {where} order by {order}",
                          by_file="_source_file" in key,
                          key=key, index_columns=list(dict.fromkeys([*key, *config.identity, *config.lineage])))
