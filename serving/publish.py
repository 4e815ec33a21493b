"""Publishing the serving copy: the tables readers may see, personal data hashed, masked or dropped.

Readers (BI tools, the landing sensor) open only the serving copy: a reader holding the old file keeps
reading it, the next one opens the new file, and neither ever takes a lock on the file runs write.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ecomops.settings import WarehousePaths
from ingestion.mapping import PersonalColumn, load_mappings
from quality.personal import SALT_PARAMETER, holds_personal_data, published_select, register_mask
from serving.catalog import columns, tables

# What readers get in the serving copy: the marts (facts, dimensions, KPIs), alerts, quality results and
# quarantined rows, and the file ledger the landing sensor compares with. Raw, staging and intermediate
# data stay in the warehouse: copying them would cost a run time in proportion to the whole history.
# No table is published with plain personal data: its personal columns (ingestion/mappings/kinds.yaml) are
# hashed, masked or dropped, and `_extra` is dropped. The warehouse's quarantine keeps the full rows, for repair.
PUBLISHED_SCHEMAS = ("marts", "alerts", "quality", "quarantine")
PUBLISHED_TABLES = (("raw", "ingest_files"),)
# dbt incremental models set it to current_timestamp on the rows a run writes: a later run's rows are newer.
BUILT_AT = "_built_at"
SERVING_DB = "serving_copy"  # the serving copy's name while attached to the warehouse connection


@dataclass(frozen=True)
class ServingPublication:
    """What a publish did: the tables given only their new rows, those copied whole, those dropped."""

    path: Path
    updated: tuple[str, ...]
    replaced: tuple[str, ...]
    dropped: tuple[str, ...]


def publish_serving_copy(paths: WarehousePaths,
                         unique_keys: Mapping[tuple[str, str], Sequence[str]]) -> ServingPublication:
    """Bring a copy of the serving file up to date with the published tables, then rename it over the serving copy.

    The copy brought up to date is the file the publish before this one replaced (kept as `.<name>.standby`),
    so a daily run does not copy the whole file first; it is one publish behind, and the new rows of both
    runs are added. When there is none, or a reader still has it open, the serving copy is copied instead.
    A publish that fails leaves the old file in place; the next one starts from it again.

    `unique_keys` maps (schema, table) to the unique key of each delete+insert
    incremental dbt model: such a table, when it has a `_built_at` column, gets
    only the rows built since the copy's newest, so a daily run costs what it
    changed; every other table is copied whole.
    """
    target = paths.serving
    staging, standby = (target.with_name(f".{target.name}.{state}") for state in ("publishing", "standby"))
    for leftover in (staging, _wal(staging)):  # a stale WAL would replay onto the copy
        leftover.unlink(missing_ok=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    from_standby = standby.exists() and target.exists() and not standby.samefile(target)
    if from_standby:
        standby.rename(staging)
    elif target.exists():
        shutil.copyfile(target, staging)
    updated, replaced = [], []
    personal = load_mappings(paths.mappings).personal_columns
    with duckdb.connect(str(paths.warehouse), config=paths.duckdb.config()) as con:
        register_mask(con)
        (warehouse,) = con.execute("select current_database()").fetchone()
        published = [(schema, table) for schema, table in tables(con, warehouse)
                     if schema in PUBLISHED_SCHEMAS or (schema, table) in PUBLISHED_TABLES]
        _attach_for_writing(con, staging, target, from_standby)
        updatable = {table: unique_keys[table] for table in published if table in unique_keys
                     and _takes_new_rows(unique_keys[table], columns(con, warehouse, *table),
                                         columns(con, SERVING_DB, *table), personal)}
        in_copy = set(tables(con, SERVING_DB))
        dropped = sorted(in_copy - set(published))
        # Drop before creating: after the checkpoint, new tables reuse the freed blocks instead of growing the file.
        for schema, table in in_copy - set(updatable):
            con.execute(f'drop table {SERVING_DB}."{schema}"."{table}"')
        con.execute(f"checkpoint {SERVING_DB}")
        for schema, table in published:
            source, copy = f'"{schema}"."{table}"', f'{SERVING_DB}."{schema}"."{table}"'
            if (schema, table) in updatable and _add_new_rows(con, source, copy, updatable[(schema, table)]):
                updated.append(f"{schema}.{table}")
                continue
            con.execute(f'create schema if not exists {SERVING_DB}."{schema}"')
            _copy_whole(con, source, copy, [name for name, _ in columns(con, warehouse, schema, table)],
                        personal, paths)
            replaced.append(f"{schema}.{table}")
        con.execute(f"detach {SERVING_DB}")
    if target.exists():  # the file readers have now becomes the next publish's standby
        standby.unlink(missing_ok=True)
        standby.hardlink_to(target)
    staging.replace(target)  # atomic on one filesystem
    return ServingPublication(target, tuple(updated), tuple(replaced), tuple(f"{s}.{t}" for s, t in dropped))


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def _attach_for_writing(con: duckdb.DuckDBPyConnection, staging: Path, target: Path, from_standby: bool) -> None:
    """Attach the copy to update as SERVING_DB. When that is the standby and will not open for writing (a reader
    that opened it while it was the serving copy holds it), leave it to the reader (unlinked, it lives while
    open) and start from a copy of the serving file."""
    try:
        con.execute(f"attach '{staging}' as {SERVING_DB}")
    except duckdb.Error:
        if not from_standby:
            raise
        staging.unlink()
        shutil.copyfile(target, staging)
        con.execute(f"attach '{staging}' as {SERVING_DB}")


def _copy_whole(con: duckdb.DuckDBPyConnection, source: str, copy: str, column_names: list[str],
                personal: Mapping[str, PersonalColumn], paths: WarehousePaths) -> None:
    """The table as readers may see it: personal columns hashed (with the marts' buyer salt), masked or dropped."""
    select = published_select(source, column_names, personal)
    if select is None:
        con.execute(f"create or replace table {copy} as select * from {source}")
        return
    parameters = {SALT_PARAMETER: paths.buyer_salt()} if select.hashed else {}
    con.execute(f"create or replace table {copy} as select {', '.join(select.expressions)} from {source}",
                parameters)


def _takes_new_rows(key: Sequence[str], source_columns: list[tuple[str, str]],
                    copy_columns: list[tuple[str, str]], personal: Mapping[str, PersonalColumn]) -> bool:
    """Whether the copy can take only the new rows: same columns, among them `_built_at` and the key, and
    none holding personal data (such a table is copied whole, without it)."""
    names = [name for name, _ in source_columns]
    return (source_columns == copy_columns and BUILT_AT in names and set(names).issuperset(key)
            and not holds_personal_data(names, personal))


def _add_new_rows(con: duckdb.DuckDBPyConnection, source: str, copy: str, key: Sequence[str]) -> bool:
    """Replay dbt's delete+insert on the copy with the source rows built after the copy's newest.

    False, for the caller to copy the table whole, when the copy then still differs in row count or
    newest build: a full refresh dropped rows, the warehouse was restored from an older file.
    """
    (since,) = con.execute(f"select max({BUILT_AT}) from {copy}").fetchone()
    if since is None:
        return False
    new_keys = ", ".join(f'"{column}"' for column in key)
    same_key = " and ".join(f'published."{column}" = new_keys."{column}"' for column in key)
    con.execute(f"delete from {copy} as published using (select distinct {new_keys} from {source} "
                f"where {BUILT_AT} > $since) as new_keys where {same_key}", {"since": since})
    con.execute(f"insert into {copy} select * from {source} where {BUILT_AT} > $since", {"since": since})
    summary = f"select count(*), max({BUILT_AT}) from "
    return con.execute(f"{summary}{source}").fetchone() == con.execute(f"{summary}{copy}").fetchone()


def write_run_summary(path: Path, summary: Mapping[str, object]) -> None:
    """The summary of a published run as JSON, for scripts and monitors: replaced whole, never half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.writing")
    temporary.write_text(json.dumps(summary, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    temporary.replace(path)
