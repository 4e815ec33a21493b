"""Run a table's suite over the rows not yet gated, in bounded Arrow chunks, and quarantine what fails.

Raw tables: the rows to validate are those of dlt loads that have not passed this table's
gate yet (`quality.gate_passes`), so each run validates what it just loaded, and a load that
failed stays pending until its files are fixed and it passes. Rows are streamed from DuckDB
as Arrow record batches, cut into chunks of whole files (per-file checks stay exact), and
each chunk is a pandas DataFrame Great Expectations validates. Rows failing a row-level
expectation are copied to `quarantine.<table>` with the reasons.

Marts: the most recent `window_days` of the table, after each build (no quarantine).

A daily run brings each raw table a few hundred rows, so what a gates step costs is per
table, not per row: GE's work per expectation, and queries. Hence a step reads every table's
columns and pending loads in one go (`read_catalog`) and reads a table's rows by load id
(DuckDB skips the row groups of other loads); tables sharing a suite are screened together
(`screen_alike_tables`); and GE first only asks whether each expectation holds (`validate`).
"""

from __future__ import annotations

import time
import uuid
from collections import defaultdict

import duckdb
import pyarrow.compute as pc

from quality.catalog import Catalog, rows_to_validate
from quality.chunks import merge, read_chunks
from quality.config import RAW_SCHEMA, SuiteConfig, gate_settings
from quality.records import quarantine, record_passes
from quality.results import GateResult
from quality.screening import Screened
from quality.suites import expectation_suite, validate
from quality.volume import check_volume


def run_gate(con: duckdb.DuckDBPyConnection, config: SuiteConfig, catalog: Catalog, run_id: str | None = None,
             pending_only: bool = True, screened: Screened | None = None) -> GateResult:
    """Validate a table's rows not yet gated (raw) or its recent window (marts); raw gates record passes and quarantine.

    `con` must be read-write for raw tables and may be read-only for marts; `catalog` is `read_catalog`'s
    for this step, `screened` what `screen_alike_tables` found for this table, if anything.
    """
    started = time.perf_counter()
    run_id = run_id or uuid.uuid4().hex
    result = GateResult(suite=config.name)
    options = gate_settings()
    columns = catalog.columns.get(config.name)
    if not columns:
        result.error = f"table {config.name} does not exist"
        return result
    suite = expectation_suite(config.name)
    is_raw = config.schema == RAW_SCHEMA
    pending = catalog.pending_loads.get(config.table, []) if is_raw and pending_only else None
    selected = rows_to_validate(config, columns, pending)  # checks the suite's columns even when nothing is pending
    key, index_columns = selected.key, selected.index_columns
    if pending == []:  # no load to gate: no query
        result.seconds = time.perf_counter() - started
        return result
    failed_rows: dict[tuple, list[str]] = defaultdict(list)
    files: set[str] = set()
    load_ids: set[str] = set()
    chunks = [screened.rows] if screened else read_chunks(con, selected.sql, options.chunk_rows, split_on_file=is_raw)
    for chunk in chunks:
        result.rows += chunk.num_rows
        if is_raw:
            files.update(pc.unique(chunk.column("_source_file")).to_pylist())
            load_ids.update(pc.unique(chunk.column("_dlt_load_id")).to_pylist())
        validation = screened.results if screened else validate(chunk.to_pandas(), suite, index_columns)
        for row, reason in merge(result, validation, index_columns, options.sample_rows):
            failed_rows[tuple(row[k] for k in key)].append(reason)
    result.files, result.load_ids = len(files), sorted(load_ids)
    if is_raw and result.rows:
        if config.volume:
            check_volume(con, config, result, options.sample_rows)
        result.quarantined = quarantine(con, config, catalog, key, files, failed_rows, run_id)
        if not result.blocks:
            record_passes(con, config.table, run_id, result.load_ids)
    result.seconds = time.perf_counter() - started
    return result
