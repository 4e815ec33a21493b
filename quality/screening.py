"""Alike raw tables screened together: one validation for a group's small loads instead of one per table."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

import duckdb
import pandas as pd
import pyarrow as pa
from great_expectations.core.expectation_validation_result import ExpectationValidationResult

from ingestion.warehouse import WAREHOUSE_ERRORS, WarehouseConnection, as_warehouse_connection
from quality.catalog import Catalog, rows_to_validate
from quality.config import RAW_SCHEMA, SuiteConfig, gate_settings
from quality.suites import expectation_suite, validate_parts

# Rows of alike tables screened together (and held until their gates run), at most: screening together
# pays off for small loads, whose GE cost is per expectation rather than per row.
SCREEN_TOGETHER_ROWS = 20_000


@dataclass(frozen=True)
class Screened:
    """A raw table's pending rows, read once, and its suite's full results on them: every expectation holds."""

    rows: pa.Table
    results: list[ExpectationValidationResult]


def _in_batches(items: list[tuple[SuiteConfig, pa.Table, pd.DataFrame]], limit: int) -> Iterator[list]:
    """Consecutive items whose rows add up to `limit` at most."""
    batch, rows = [], 0
    for item in items:
        if batch and rows + item[1].num_rows > limit:
            yield batch
            batch, rows = [], 0
        batch.append(item)
        rows += item[1].num_rows
    yield batch


def screen_alike_tables(con: WarehouseConnection | duckdb.DuckDBPyConnection, configs: list[SuiteConfig],
                        catalog: Catalog) -> dict[str, Screened]:
    """Raw tables whose pending rows hold their whole suite, found with one validation per group of alike tables.

    The platform tables of one kind mostly share a suite, and GE validates a daily load's few hundred
    rows in about the time it takes for one: their rows validated as one DataFrame cost one table's
    validation instead of five. Only frames with the same columns and dtypes go together, so each row
    is validated as it is alone (`validate_parts`). A group where anything fails gains nothing: its
    tables are gated one by one as usual, as is a table whose rows cannot be read here.
    """
    con = as_warehouse_connection(con)
    limit = min(SCREEN_TOGETHER_ROWS, gate_settings().chunk_rows)
    alike: dict[tuple, list[SuiteConfig]] = defaultdict(list)
    for config in configs:
        if config.schema == RAW_SCHEMA and 0 < catalog.pending_rows.get(config.table, 0) <= limit:
            alike[config.expectations].append(config)
    read: dict[tuple, list[tuple[SuiteConfig, pa.Table, pd.DataFrame]]] = defaultdict(list)
    for group in (g for g in alike.values() if len(g) > 1):
        for config in group:
            columns = catalog.columns[config.name]
            try:
                rows = con.arrow(rows_to_validate(config, columns, catalog.pending_loads[config.table]).sql)
            except (ValueError, *WAREHOUSE_ERRORS):
                continue  # its own gate reports why
            frame = rows.to_pandas()
            read[(config.expectations, tuple(frame.dtypes.items()))].append((config, rows, frame))
    screened: dict[str, Screened] = {}
    for items in read.values():
        for batch in _in_batches(items, limit):
            if len(batch) < 2:
                continue
            frame = pd.concat([f for _, _, f in batch], ignore_index=True)
            parts = validate_parts(frame, expectation_suite(batch[0][0]), [r.num_rows for _, r, _ in batch])
            for (config, rows, _), results in zip(batch, parts or []):
                screened[config.table] = Screened(rows=rows, results=results)
    return screened
