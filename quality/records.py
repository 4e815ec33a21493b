"""What a raw gate leaves in the warehouse: its schemas, the rows that failed copied to quarantine, the loads passed."""

from __future__ import annotations

import duckdb

from ingestion.warehouse import WarehouseConnection, as_warehouse_connection
from quality.catalog import GATE_SCHEMA, PASSES_TABLE, QUARANTINE_SCHEMA, Catalog
from quality.config import SuiteConfig


def ensure_gate_tables(con: WarehouseConnection | duckdb.DuckDBPyConnection) -> None:
    """The gate and quarantine schemas and the pass records, made if missing before a step of raw gates."""
    con = as_warehouse_connection(con)
    con.execute(f"create schema if not exists {GATE_SCHEMA}")
    con.execute(f"create schema if not exists {QUARANTINE_SCHEMA}")
    con.execute(f"create table if not exists {PASSES_TABLE} "
                "(table_name varchar, load_id varchar, run_id varchar, checked_at timestamptz)")


def quarantine(con: WarehouseConnection | duckdb.DuckDBPyConnection, config: SuiteConfig, catalog: Catalog,
               key: list[str], failed_rows: dict[tuple, list[str]], run_id: str, files: list[str] | None,
               load_ids: list[str]) -> int:
    """Replace the quarantined rows of what was just validated with the rows that failed now: of its `files`, or,
    for rows without files (platform sync's record versions), of the keys the validated loads hold.

    A column a mapping gained since the quarantine table was made is added to it, so copies keep every column.
    Files, loads and failing keys go in as array parameters (`unnest`), which both engines read alike.
    """
    con = as_warehouse_connection(con)
    target = f"{QUARANTINE_SCHEMA}.{config.table}"
    kept = catalog.columns.get(target)
    source_columns = list(catalog.columns[config.name])
    if kept is None:
        con.execute(f"create table if not exists {target} as select t.*, cast('' as varchar) as _quarantine_reasons, "
                    f"cast('' as varchar) as _quarantine_run_id, now() as _quarantined_at from {config.name} t limit 0")
    else:
        for name, kind in catalog.columns[config.name].items():
            if name not in kept:
                con.execute(f'alter table {target} add column "{name}" {kind}')
    if files is not None:
        con.execute(f"delete from {target} where _source_file in (select unnest(cast(? as varchar[])))", [files])
    else:
        validated = " and ".join(f'v."{k}" = {target}."{k}"' for k in key)
        con.execute(f"delete from {target} where exists (select 1 from {config.name} v where {validated} "
                    f"and v._dlt_load_id in (select unnest(cast(? as varchar[]))))", [load_ids])
    if not failed_rows:
        return 0
    keys = list(failed_rows)
    key_kinds = [catalog.columns[config.name][k] for k in key]
    arrays = ", ".join(f'unnest(cast(? as {kind}[])) as "{k}"' for k, kind in zip(key, key_kinds))
    join = " and ".join(f't."{k}" = f."{k}"' for k in key)
    names = ", ".join(f'"{c}"' for c in [*source_columns, "_quarantine_reasons", "_quarantine_run_id", "_quarantined_at"])
    selected = ", ".join(f't."{c}"' for c in source_columns)
    con.execute(f"insert into {target} ({names}) select {selected}, f._quarantine_reasons, ? as _quarantine_run_id, "
                f"now() as _quarantined_at from {config.name} t join (select {arrays}, "
                f"unnest(cast(? as varchar[])) as _quarantine_reasons) f on {join}",
                [run_id, *([row[i] for row in keys] for i in range(len(key))),
                 ["; ".join(dict.fromkeys(failed_rows[row])) for row in keys]])
    return len(keys)


def record_passes(con: WarehouseConnection | duckdb.DuckDBPyConnection, table: str, run_id: str,
                  load_ids: list[str]) -> None:
    """Mark the loads as gated for `table`: the next run's catalog no longer counts them pending."""
    as_warehouse_connection(con).execute(
        f"insert into {PASSES_TABLE} select cast(? as varchar), load_id, cast(? as varchar), now() "
        f"from (select unnest(cast(? as varchar[])) as load_id) as loads "
        f"where load_id not in (select load_id from {PASSES_TABLE} where table_name = ?)",
        [table, run_id, load_ids, table])
