"""The mart entry point: a key mart's most recent `window_days` validated after each build, read-only, nothing kept."""

from __future__ import annotations

import time

import duckdb

from ingestion.warehouse import WarehouseConnection, as_warehouse_connection
from quality.catalog import Catalog, rows_to_validate
from quality.chunks import merge, read_chunks
from quality.config import SuiteConfig, gate_settings
from quality.results import GateResult
from quality.suites import expectation_suite, validate


def run_mart_gate(con: WarehouseConnection | duckdb.DuckDBPyConnection, config: SuiteConfig, catalog: Catalog) -> GateResult:
    """Validate the recent window of a mart; `con` may be read-only, `catalog` is `read_catalog`'s for this step."""
    started = time.perf_counter()
    con = as_warehouse_connection(con)
    result = GateResult(suite=config.name)
    columns = catalog.columns.get(config.name)
    if not columns:
        result.error = f"table {config.name} does not exist"
        return result
    selected = rows_to_validate(config, columns, load_ids=None)
    options = gate_settings()
    suite = expectation_suite(config)
    for chunk in read_chunks(con, selected.sql, options.chunk_rows, split_on_file=False):
        result.rows += chunk.num_rows
        merge(result, validate(chunk.to_pandas(), suite, selected.index_columns), selected.index_columns,
              options.sample_rows, config.personal_columns)
    result.seconds = time.perf_counter() - started
    return result
