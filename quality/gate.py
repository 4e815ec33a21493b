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
from collections.abc import Iterator
from dataclasses import dataclass

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from great_expectations.core.expectation_validation_result import ExpectationValidationResult

from quality.catalog import GATE_SCHEMA, PASSES_TABLE, QUARANTINE_SCHEMA, Catalog, rows_to_validate, sql_list
from quality.config import RAW_SCHEMA, SuiteConfig, gate_settings
from quality.personal import masked_row, masked_value
from quality.results import ExpectationOutcome, GateResult
from quality.suites import VOLUME_RATIO_COLUMN, expectation_suite, validate, validate_parts, volume_suite

MAX_DISTINCT_VALUES = 20
READ_BATCH_ROWS = 50_000
# Rows of alike tables screened together (and held until their gates run), at most: screening together
# pays off for small loads, whose GE cost is per expectation rather than per row.
SCREEN_TOGETHER_ROWS = 20_000


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


def ensure_gate_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"create schema if not exists {GATE_SCHEMA}")
    con.execute(f"create schema if not exists {QUARANTINE_SCHEMA}")
    con.execute(f"create table if not exists {PASSES_TABLE} "
                "(table_name varchar, load_id varchar, run_id varchar, checked_at timestamptz)")


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


def screen_alike_tables(con: duckdb.DuckDBPyConnection, configs: list[SuiteConfig],
                        catalog: Catalog) -> dict[str, Screened]:
    """Raw tables whose pending rows hold their whole suite, found with one validation per group of alike tables.

    The platform tables of one kind mostly share a suite, and GE validates a daily load's few hundred
    rows in about the time it takes for one: their rows validated as one DataFrame cost one table's
    validation instead of five. Only frames with the same columns and dtypes go together, so each row
    is validated as it is alone (`validate_parts`). A group where anything fails gains nothing: its
    tables are gated one by one as usual, as is a table whose rows cannot be read here.
    """
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
                rows = con.sql(rows_to_validate(config, columns, catalog.pending_loads[config.table]).sql).to_arrow_table()
            except (ValueError, duckdb.Error):
                continue  # its own gate reports why
            frame = rows.to_pandas()
            read[(config.expectations, tuple(frame.dtypes.items()))].append((config, rows, frame))
    screened: dict[str, Screened] = {}
    for items in read.values():
        for batch in _in_batches(items, limit):
            if len(batch) < 2:
                continue
            frame = pd.concat([f for _, _, f in batch], ignore_index=True)
            parts = validate_parts(frame, expectation_suite(batch[0][0].name), [r.num_rows for _, r, _ in batch])
            for (config, rows, _), results in zip(batch, parts or []):
                screened[config.table] = Screened(rows=rows, results=results)
    return screened


def _file_chunks(reader: pa.RecordBatchReader, chunk_rows: int, split_on_file: bool) -> Iterator[pa.Table]:
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


def _merge(result: GateResult, validation: list[ExpectationValidationResult], index_columns: list[str], key: list[str],
           failed_rows: dict[tuple, list[str]], sample_rows: int) -> None:
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
            value = masked_value(value, subject)
            if value in outcome.unexpected_values or len(outcome.unexpected_values) < MAX_DISTINCT_VALUES:
                outcome.unexpected_values[value] += 1
        for row in stats.get("unexpected_index_list", []):
            failed_rows[tuple(row[k] for k in key)].append(f"{label} [{severity}]")
            if len(outcome.sample_rows) < sample_rows:
                outcome.sample_rows.append(masked_row({c: row.get(c) for c in [*index_columns, *row] if c in row}))


def _quarantine(con: duckdb.DuckDBPyConnection, config: SuiteConfig, catalog: Catalog, key: list[str],
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


def _volume_frame(con: duckdb.DuckDBPyConnection, config: SuiteConfig, load_ids: list[str]) -> pd.DataFrame:
    """Per scope and business day touched by the new loads: the measure, its trailing median and their ratio.

    The first touched day is read first and passed as a parameter: as a subquery it made DuckDB filter
    the table's history several times slower.
    """
    rule = config.volume
    tz = gate_settings().default_timezone
    has_shops = rule.scope == "shop_code"
    day = (f"cast(timezone(coalesce(s.timezone, '{tz}'), t.{rule.date_column}) as date)"
           if has_shops else f"cast(t.{rule.date_column} as date)")
    scope = "t.shop_code" if has_shops else "'all'"
    join = f"left join {RAW_SCHEMA}.shops s on s.shop_code = t.shop_code" if has_shops else ""
    touched = (f"select distinct {scope} as scope, {day} as day "
               f"from {config.name} t {join} where t._dlt_load_id in ({sql_list(load_ids)})")
    (first_day,) = con.execute(f"select min(day) from ({touched})").fetchone()
    sql = f"""
        with touched as ({touched}), daily as (
            select {scope} as scope, {day} as day, {rule.measure} as measure
            from {config.name} t {join}
            where cast(t.{rule.date_column} as date) >= ?::date - interval {rule.trailing_days + 1} day
            group by all
        ), compared as (
            select scope, day, measure,
                median(measure) over recent as trailing_median,
                count(*) over recent as history_days
            from daily
            window recent as (partition by scope order by day
                                range between interval {rule.trailing_days} day preceding and interval 1 day preceding)
        )
        select scope, day, measure, trailing_median, history_days,
               measure / trailing_median as {VOLUME_RATIO_COLUMN}
        from compared join touched using (scope, day)
        where history_days >= {rule.min_history_days} and trailing_median > 0
        order by scope, day
    """
    return con.execute(sql, [first_day]).df()


def _check_volume(con, config: SuiteConfig, result: GateResult, sample_rows: int) -> None:
    frame = _volume_frame(con, config, result.load_ids)
    if frame.empty:
        return
    rule = config.volume
    (validation,) = validate(frame, volume_suite(config.name, rule), ["scope", "day"])
    stats = validation.result
    label = (f"volume: {rule.measure} per {rule.scope or 'day'} and day >= {rule.min_ratio} x "
             f"median of the trailing {rule.trailing_days} days")
    outcome = result.outcomes.setdefault(label, ExpectationOutcome(expectation=label, severity=rule.severity))
    outcome.element_count += stats.get("element_count", 0)
    outcome.unexpected_count += stats.get("unexpected_count", 0) or 0
    failing = frame[frame[VOLUME_RATIO_COLUMN] < rule.min_ratio]
    for row in failing.itertuples():
        outcome.unexpected_values[f"{row.scope} {row.day:%Y-%m-%d}: {row.measure} vs {row.trailing_median:g}"] += 1
    outcome.sample_rows = [
        {"scope": r.scope, "day": f"{r.day:%Y-%m-%d}", "measure": r.measure, "trailing_median": r.trailing_median,
         VOLUME_RATIO_COLUMN: round(getattr(r, VOLUME_RATIO_COLUMN), 4)}
        for r in failing.head(sample_rows).itertuples()
    ]


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
    chunks = [screened.rows] if screened else _file_chunks(
        con.sql(selected.sql).to_arrow_reader(READ_BATCH_ROWS), options.chunk_rows, split_on_file=is_raw)
    for chunk in chunks:
        result.rows += chunk.num_rows
        if is_raw:
            files.update(pc.unique(chunk.column("_source_file")).to_pylist())
            load_ids.update(pc.unique(chunk.column("_dlt_load_id")).to_pylist())
        validation = screened.results if screened else validate(chunk.to_pandas(), suite, index_columns)
        _merge(result, validation, index_columns, key, failed_rows, options.sample_rows)
    result.files, result.load_ids = len(files), sorted(load_ids)
    if is_raw and result.rows:
        if config.volume:
            _check_volume(con, config, result, options.sample_rows)
        result.quarantined = _quarantine(con, config, catalog, key, files, failed_rows, run_id)
        if not result.blocks:
            con.execute(f"insert into {PASSES_TABLE} select ?, load_id, ?, now() from unnest(?) as loads(load_id) "
                        f"where load_id not in (select load_id from {PASSES_TABLE} where table_name = ?)",
                        [config.table, run_id, result.load_ids, config.table])
    result.seconds = time.perf_counter() - started
    return result
