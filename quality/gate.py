"""Run a table's suite over the rows not yet gated, in bounded Arrow chunks, and quarantine what fails.

Raw tables: the rows to validate are those of dlt loads that have not passed this table's
gate yet (`quality.gate_passes`), so each run validates what it just loaded, and a load that
failed stays pending until its files are fixed and it passes. Rows are streamed from DuckDB
as Arrow record batches, cut into chunks of whole files (per-file checks stay exact), and
each chunk is a pandas DataFrame Great Expectations validates. Rows failing a row-level
expectation are copied to `quarantine.<table>` with the reasons.

Marts: the most recent `window_days` of the table, after each build (no quarantine).
"""

from __future__ import annotations

import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from quality.config import LINEAGE_KEY, RAW_SCHEMA, SuiteConfig, settings
from quality.suites import VOLUME_RATIO_COLUMN, expectation_suite, validate, volume_suite

GATE_SCHEMA = "quality"
QUARANTINE_SCHEMA = "quarantine"
PASSES_TABLE = f"{GATE_SCHEMA}.gate_passes"
BLOCKING_SEVERITY = "critical"
MAX_DISTINCT_VALUES = 20
READ_BATCH_ROWS = 50_000


@dataclass
class ExpectationOutcome:
    """One expectation's result over every chunk of the batch."""

    expectation: str
    severity: str
    element_count: int = 0
    unexpected_count: int = 0
    unexpected_values: Counter = field(default_factory=Counter)
    sample_rows: list[dict] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.unexpected_count > 0


@dataclass
class GateResult:
    """What a suite found in one batch: per-expectation outcomes, the rows it quarantined, its cost."""

    suite: str
    rows: int = 0
    files: int = 0
    load_ids: list[str] = field(default_factory=list)
    outcomes: dict[str, ExpectationOutcome] = field(default_factory=dict)
    quarantined: int = 0
    seconds: float = 0.0
    error: str | None = None

    @property
    def failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes.values() if o.failed]

    @property
    def blocking_failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.failures if o.severity == BLOCKING_SEVERITY]

    @property
    def blocks(self) -> bool:
        return self.error is not None or bool(self.blocking_failures)

    @property
    def passed(self) -> bool:
        return self.error is None and not self.failures


def _label(kind: str, kwargs: dict) -> str:
    """`expect_column_values_to_be_between(order_paid_amount, min_value=0)`: which check, on what."""
    subject = kwargs.get("column") or kwargs.get("column_list") or [kwargs.get("column_A"), kwargs.get("column_B")]
    subject = subject if isinstance(subject, str) else ", ".join(map(str, subject))
    bounds = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                       for k, v in kwargs.items() if k in ("min_value", "max_value", "mostly", "regex"))
    if "value_set" in kwargs:
        bounds = f"{len(kwargs['value_set'])} known values"
    return f"{kind}({subject}{', ' + bounds if bounds else ''})"


def _table_columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    return [r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, table]).fetchall()]


def _row_key(config: SuiteConfig, columns: list[str]) -> list[str]:
    """How a failing row is found again: file and row number, else file and the table's first identity column."""
    if all(c in columns for c in LINEAGE_KEY):
        return list(LINEAGE_KEY)
    return ["_source_file", config.identity[0]] if "_source_file" in columns else list(config.identity)


def ensure_gate_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"create schema if not exists {GATE_SCHEMA}")
    con.execute(f"create schema if not exists {QUARANTINE_SCHEMA}")
    con.execute(f"create table if not exists {PASSES_TABLE} "
                "(table_name varchar, load_id varchar, run_id varchar, checked_at timestamptz)")


def _select_sql(config: SuiteConfig, columns: list[str], key: list[str], pending_only: bool) -> tuple[str, list]:
    """The rows to validate with their derived columns, ordered so that a file's rows are contiguous."""
    wanted = list(dict.fromkeys([*key, *config.columns, *(["_dlt_load_id"] if config.schema == RAW_SCHEMA else [])]))
    missing = [c for c in wanted if c not in columns]
    if missing:
        raise ValueError(f"{config.name} has no column {', '.join(missing)} (see quality/suites.yaml)")
    select = ", ".join([*(f't."{c}"' for c in wanted), *(f'({sql}) as "{name}"' for name, sql in config.derived)])
    where, params = "true", []
    if config.schema == RAW_SCHEMA and pending_only:
        where = f"t._dlt_load_id not in (select load_id from {PASSES_TABLE} where table_name = ?)"
        params = [config.table]
    elif config.date_column:
        where = (f"t.{config.date_column} > (select max({config.date_column}) from {config.name})"
                 f" - interval {int(config.window_days)} day")
    return f"select {select} from {config.name} t where {where} order by {', '.join(key)}", params


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


def _merge(result: GateResult, validation, index_columns: list[str], key: list[str],
           failed_rows: dict[tuple, list[str]], sample_rows: int) -> None:
    for expectation_result in validation.results:
        expectation = expectation_result.expectation_config
        label, severity = _label(expectation.type, expectation.kwargs), expectation.severity.value
        outcome = result.outcomes.setdefault(label, ExpectationOutcome(expectation=label, severity=severity))
        if expectation_result.exception_info.get("raised_exception"):
            raise RuntimeError(f"{label}: {expectation_result.exception_info['exception_message']}")
        stats = expectation_result.result
        outcome.element_count += stats.get("element_count", 0)
        outcome.unexpected_count += stats.get("unexpected_count", 0) or 0
        for value in stats.get("unexpected_list", []):
            value = str(value)
            if value in outcome.unexpected_values or len(outcome.unexpected_values) < MAX_DISTINCT_VALUES:
                outcome.unexpected_values[value] += 1
        for row in stats.get("unexpected_index_list", []):
            failed_rows[tuple(row[k] for k in key)].append(f"{label} [{severity}]")
            if len(outcome.sample_rows) < sample_rows:
                outcome.sample_rows.append({c: row.get(c) for c in [*index_columns, *row] if c in row})


def _add_new_raw_columns(con: duckdb.DuckDBPyConnection, config: SuiteConfig, target: str) -> None:
    """A column a mapping gained since the quarantine table was made is added to it, so copies keep every column."""
    kept = set(_table_columns(con, QUARANTINE_SCHEMA, config.table))
    for name, kind in con.execute(
        "select column_name, data_type from information_schema.columns where table_schema = ? and table_name = ?",
        [config.schema, config.table],
    ).fetchall():
        if name not in kept:
            con.execute(f'alter table {target} add column "{name}" {kind}')


def _quarantine(con: duckdb.DuckDBPyConnection, config: SuiteConfig, key: list[str], files: set[str],
                failed_rows: dict[tuple, list[str]], run_id: str) -> int:
    """Replace the quarantined rows of the files just validated with the rows that failed now."""
    target = f"{QUARANTINE_SCHEMA}.{config.table}"
    con.execute(f"create table if not exists {target} as select t.*, ''::varchar as _quarantine_reasons, "
                f"''::varchar as _quarantine_run_id, now() as _quarantined_at from {config.name} t limit 0")
    _add_new_raw_columns(con, config, target)
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
    """Per scope and business day touched by the new loads: the measure, its trailing median and their ratio."""
    rule = config.volume
    tz = settings()["default_timezone"]
    has_shops = rule.scope == "shop_code"
    day = (f"cast(timezone(coalesce(s.timezone, '{tz}'), t.{rule.date_column}) as date)"
           if has_shops else f"cast(t.{rule.date_column} as date)")
    scope = "t.shop_code" if has_shops else "'all'"
    join = f"left join {RAW_SCHEMA}.shops s on s.shop_code = t.shop_code" if has_shops else ""
    loads = pa.table({"load_id": pa.array(load_ids, pa.string())})
    con.register("new_loads", loads)
    sql = f"""
        with touched as (
            select distinct {scope} as scope, {day} as day
            from {config.name} t {join} where t._dlt_load_id in (select load_id from new_loads)
        ), daily as (
            select {scope} as scope, {day} as day, {rule.measure} as measure
            from {config.name} t {join}
            where cast(t.{rule.date_column} as date) >= (select min(day) from touched) - interval {rule.trailing_days + 1} day
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
    try:
        return con.execute(sql).df()
    finally:
        con.unregister("new_loads")


def _check_volume(con, config: SuiteConfig, result: GateResult, sample_rows: int) -> None:
    frame = _volume_frame(con, config, result.load_ids)
    if frame.empty:
        return
    rule = config.volume
    validation = validate(frame, volume_suite(config.name, rule), ["scope", "day"])
    stats = validation.results[0].result
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


def run_gate(con: duckdb.DuckDBPyConnection, config: SuiteConfig, run_id: str | None = None,
             pending_only: bool = True) -> GateResult:
    """Validate a table's rows not yet gated (raw) or its recent window (marts); raw gates record passes and quarantine.

    `con` must be read-write for raw tables and may be read-only for marts.
    """
    started = time.perf_counter()
    run_id = run_id or uuid.uuid4().hex
    result = GateResult(suite=config.name)
    options = settings()
    columns = _table_columns(con, config.schema, config.table)
    if not columns:
        result.error = f"table {config.name} does not exist"
        return result
    key = _row_key(config, columns)
    index_columns = list(dict.fromkeys([*key, *config.identity]))
    suite = expectation_suite(config.name)
    sql, params = _select_sql(config, columns, key, pending_only)
    failed_rows: dict[tuple, list[str]] = defaultdict(list)
    files: set[str] = set()
    load_ids: set[str] = set()
    is_raw = config.schema == RAW_SCHEMA
    reader = con.sql(sql, params=params).to_arrow_reader(READ_BATCH_ROWS)
    for chunk in _file_chunks(reader, options["chunk_rows"], split_on_file=is_raw):
        result.rows += chunk.num_rows
        if is_raw:
            files.update(pc.unique(chunk.column("_source_file")).to_pylist())
            load_ids.update(pc.unique(chunk.column("_dlt_load_id")).to_pylist())
        validation = validate(chunk.to_pandas(), suite, index_columns)
        _merge(result, validation, index_columns, key, failed_rows, options["sample_rows"])
    result.files, result.load_ids = len(files), sorted(load_ids)
    if is_raw and result.rows:
        if config.volume:
            _check_volume(con, config, result, options["sample_rows"])
        result.quarantined = _quarantine(con, config, key, files, failed_rows, run_id)
        if not result.blocks:
            con.execute(f"insert into {PASSES_TABLE} select ?, load_id, ?, now() from unnest(?) as loads(load_id) "
                        f"where load_id not in (select load_id from {PASSES_TABLE} where table_name = ?)",
                        [config.table, run_id, result.load_ids, config.table])
    result.seconds = time.perf_counter() - started
    return result
