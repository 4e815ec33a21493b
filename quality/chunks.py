"""Validation in bounded chunks: rows streamed in chunks of whole files, each chunk's results merged into one."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from great_expectations.core.expectation_validation_result import ExpectationValidationResult

from ingestion.warehouse import WarehouseConnection, as_warehouse_connection
from quality.personal import masked_row, masked_value
from quality.results import ExpectationOutcome, GateResult

READ_BATCH_ROWS = 50_000
MAX_DISTINCT_VALUES = 20


def read_chunks(con: WarehouseConnection | duckdb.DuckDBPyConnection, sql: str, chunk_rows: int,
                split_on_file: bool) -> Iterator[pa.Table]:
    """The rows of `sql` as Arrow record batches from the warehouse, in chunks of about `chunk_rows` (see `file_chunks`)."""
    return file_chunks(as_warehouse_connection(con).batches(sql, READ_BATCH_ROWS), chunk_rows, split_on_file)


def file_chunks(reader: Iterator[pa.RecordBatch], chunk_rows: int, split_on_file: bool) -> Iterator[pa.Table]:
    """Bounded chunks from a record batch stream; with split_on_file, never cutting one file in two."""
    pending: list[pa.RecordBatch] = []
    rows = 0
    for batch in reader:
        pending.append(batch)
        rows += batch.num_rows
        if rows < chunk_rows:
            continue
        table = pa.Table.from_batches(pending)
        cut = table.num_rows
        if split_on_file:
            files = table.column("_source_file")
            cut = pc.index(files, files[-1]).as_py()  # first row of the last (possibly unfinished) file
        if cut == 0:
            continue  # one file bigger than a chunk: it stays whole
        yield table.slice(0, cut)
        pending = table.slice(cut).to_batches()
        rows = table.num_rows - cut
    if rows:
        yield pa.Table.from_batches(pending)


def _subject(kwargs: dict) -> list[str]:
    """The columns an expectation reads."""
    subject = kwargs.get("column") or kwargs.get("column_list") or [kwargs.get("column_A"), kwargs.get("column_B")]
    return [subject] if isinstance(subject, str) else [str(column) for column in subject]


def _label(kind: str, kwargs: dict) -> str:
    """`expect_column_values_to_be_between(order_paid_amount, min_value=0)`: which check, on what."""
    subject = ", ".join(_subject(kwargs))
    bounds = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                       for k, v in kwargs.items() if k in ("min_value", "max_value", "mostly", "regex"))
    if "value_set" in kwargs:
        bounds = f"{len(kwargs['value_set'])} known values"
    return f"{kind}({subject}{', ' + bounds if bounds else ''})"


def merge(result: GateResult, validation: list[ExpectationValidationResult], index_columns: list[str],
          sample_rows: int, personal: frozenset[str]) -> list[tuple[dict, str]]:
    """Add one chunk's results to `result`, values and sample rows of `personal` columns masked; its failing rows,
    each with why it failed.

    A failing row comes back as GE identifies it (`index_columns`, plain): the raw gate quarantines by it.
    """
    failing: list[tuple[dict, str]] = []
    for expectation_result in validation:
        expectation = expectation_result.expectation_config
        label, severity = _label(expectation.type, expectation.kwargs), expectation.severity.value
        outcome = result.outcomes.setdefault(label, ExpectationOutcome(expectation=label, severity=severity))
        if expectation_result.exception_info.get("raised_exception"):
            raise RuntimeError(f"{label}: {expectation_result.exception_info['exception_message']}")
        stats = expectation_result.result
        outcome.element_count += stats.get("element_count", 0)
        outcome.unexpected_count += stats.get("unexpected_count", 0) or 0
        subject = set(_subject(expectation.kwargs))
        for value in stats.get("unexpected_list", []):
            value = masked_value(value, subject, personal)
            if value in outcome.unexpected_values or len(outcome.unexpected_values) < MAX_DISTINCT_VALUES:
                outcome.unexpected_values[value] += 1
        for row in stats.get("unexpected_index_list", []):
            failing.append((row, f"{label} [{severity}]"))
            if len(outcome.sample_rows) < sample_rows:
                outcome.sample_rows.append(masked_row({c: row.get(c) for c in [*index_columns, *row] if c in row},
                                                      personal))
    return failing
