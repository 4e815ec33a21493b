"""What a raw gate leaves in the warehouse: its schemas, the rows that failed copied to quarantine, the loads passed."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from quality.catalog import GATE_SCHEMA, PASSES_TABLE, QUARANTINE_SCHEMA, Catalog
from quality.config import SuiteConfig


def ensure_gate_tables(con: duckdb.DuckDBPyConnection) -> None:
    """The gate and quarantine schemas and the pass records, made if missing before a step of raw gates."""
    con.execute(f"create schema if not exists {GATE_SCHEMA}")
    con.execute(f"create schema if not exists {QUARANTINE_SCHEMA}")
    con.execute(f"create table if not exists {PASSES_TABLE} "
                "(table_name varchar, load_id varchar, run_id varchar, checked_at timestamptz)")


def quarantine(con: duckdb.DuckDBPyConnection, config: SuiteConfig, catalog: Catalog, key: list[str],
               files: set[str], failed_rows: dict[tuple, list[str]], run_id: str) -> int:
    """Replace the quarantined rows of the files just validated with the rows that failed now.

    A column a mapping gained since the quarantine table was made is added to it, so copies keep every column.
    """
    target = f"{QUARANTINE_SCHEMA}.{config.table}"
    kept = catalog.columns.get(target)
    if kept is None:
        con.execute(f"create table if not exists {target} as select t.*, ''::varchar as _quarantine_reasons, "
                    f"''::varchar as _quarantine_run_id, now() as _quarantined_at from {config.name} t limit 0")
    else:
        for name, kind in catalog.columns[config.name].items():
            if name not in kept:
                con.execute(f'alter table {target} add column "{name}" {kind}')
    scope = pa.table({"_source_file": pa.array(sorted(files), pa.string())})
    con.register("validated_files", scope)
    con.execute(f"delete from {target} where _source_file in (select _source_file from validated_files)")
    con.unregister("validated_files")
    if not failed_rows:
        return 0
    keys = list(failed_rows)
    failures = pa.table({**{k: [row[i] for row in keys] for i, k in enumerate(key)},
                         "_quarantine_reasons": ["; ".join(dict.fromkeys(failed_rows[row])) for row in keys]})
    con.register("failed_rows", failures)
    join = " and ".join(f't."{k}" = f."{k}"' for k in key)
    con.execute(f"insert into {target} by name select t.*, f._quarantine_reasons, ? as _quarantine_run_id, "
                f"now() as _quarantined_at from {config.name} t join failed_rows f on {join}", [run_id])
    con.unregister("failed_rows")
    return len(keys)


def record_passes(con: duckdb.DuckDBPyConnection, table: str, run_id: str, load_ids: list[str]) -> None:
    """Mark the loads as gated for `table`: the next run's catalog no longer counts them pending."""
    con.execute(f"insert into {PASSES_TABLE} select ?, load_id, ?, now() from unnest(?) as loads(load_id) "
                f"where load_id not in (select load_id from {PASSES_TABLE} where table_name = ?)",
                [table, run_id, load_ids, table])
