"""The raw entry point: a raw table's loads not yet gated validated, failing rows quarantined, passes recorded.

The rows to validate are those of dlt loads that have not passed this table's gate yet
(`quality.gate_passes`), so each run validates what it just loaded, and a load that failed stays
pending until its files are fixed and it passes. Chunks hold whole files, so per-file checks stay
exact. Rows failing a row-level expectation are copied to `quarantine.<table>` with the reasons.
Platform sync's tables have no files: their rows are versions of records, found by their version key.
"""

from __future__ import annotations

import time
import uuid
from collections import defaultdict

import duckdb
import pyarrow.compute as pc

from ingestion.warehouse import WarehouseConnection, as_warehouse_connection
from quality.catalog import Catalog, rows_to_validate
from quality.chunks import merge, read_chunks
from quality.config import RAW_SCHEMA, SuiteConfig, gate_settings
from quality.records import quarantine, record_passes
from quality.results import GateResult
from quality.screening import Screened
from quality.suites import expectation_suite, validate
from quality.volume import check_volume


def run_raw_gate(con: WarehouseConnection | duckdb.DuckDBPyConnection, config: SuiteConfig, catalog: Catalog, run_id: str | None = None,
                 pending_only: bool = True, screened: Screened | None = None) -> GateResult:
    """Validate a raw table's loads not yet gated (every row, without `pending_only`); quarantine, record passes.

    `con` must be read-write; `catalog` is `read_catalog`'s for this step, `screened` what
    `screen_alike_tables` found for this table, if anything.
    """
    started = time.perf_counter()
    con = as_warehouse_connection(con)
    run_id = run_id or uuid.uuid4().hex
    result = GateResult(suite=config.name)
    columns = catalog.columns.get(config.name)
    if not columns:
        result.error = f"table {config.name} does not exist"
        return result
    if missing := [table for table in config.reads if f"{RAW_SCHEMA}.{table}" not in catalog.columns]:
        result.error = (f"it looks rows up in {', '.join(f'{RAW_SCHEMA}.{t}' for t in missing)}, not created yet: "
                        "`ecomops run` creates every raw table (a sync's gates need one run first)")
        return result
    pending = catalog.pending_loads.get(config.table, []) if pending_only else None
    selected = rows_to_validate(config, columns, pending)  # checks the suite's columns even when nothing is pending
    if pending == []:  # no load to gate: no query
        result.seconds = time.perf_counter() - started
        return result
    options = gate_settings()
    suite = expectation_suite(config)
    failed_rows: dict[tuple, list[str]] = defaultdict(list)
    files: set[str] = set()
    load_ids: set[str] = set()
    chunks = [screened.rows] if screened else read_chunks(con, selected.sql, options.chunk_rows,
                                                          split_on_file=selected.by_file)
    for chunk in chunks:
        result.rows += chunk.num_rows
        if selected.by_file:
            files.update(pc.unique(chunk.column("_source_file")).to_pylist())
        load_ids.update(pc.unique(chunk.column("_dlt_load_id")).to_pylist())
        validation = screened.results if screened else validate(chunk.to_pandas(), suite, selected.index_columns)
        for row, reason in merge(result, validation, selected.index_columns, options.sample_rows,
                                 config.personal_columns):
            failed_rows[tuple(row[k] for k in selected.key)].append(reason)
    result.files, result.load_ids = len(files), sorted(load_ids)
    if result.rows:
        if config.volume:
            check_volume(con, config, result, options.sample_rows)
        result.quarantined = quarantine(con, config, catalog, selected.key, failed_rows, run_id,
                                        files=sorted(files) if selected.by_file else None, load_ids=result.load_ids)
        if not result.blocks:
            record_passes(con, config.table, run_id, result.load_ids)
    result.seconds = time.perf_counter() - started
    return result
