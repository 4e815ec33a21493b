"""Turn export files into canonical raw Arrow tables, following their mapping.

A file is read and matched to its mapping alone (`read_mapped`), and typed
together with the other files of its batch (`type_exports`): one Arrow call
per column for all of them, not one per file, so the cost of a landing of
many small daily files follows its rows, not its file count. A file holding a
value that does not convert is typed again alone, which names its first such
cell exactly as reading it alone would; the other files of the batch load.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from ecomops.settings import DEFAULT_TIMEZONE
from ingestion.convert import ARROW_TYPES, CONVERTERS, clean_text, extra_json, to_timestamp, unconverted, unreadable_hint
from ingestion.files import RawSheet, read_export
from ingestion.mapping import ColumnMapping, ExportMapping, header_stem, header_unit
from ingestion.rejection import RejectedFile, stops_the_step, within_file_boundary


def raw_arrow_schema(mapping: ExportMapping) -> pa.Schema:
    """The raw table's columns: shop lineage, canonical columns, unmapped export columns, file lineage."""
    shop = [("platform", pa.string()), ("shop_code", pa.string())] if not mapping.is_erp else []
    canonical = [(name, ARROW_TYPES[type_]) for name, type_ in mapping.schema.items()]
    lineage = [
        ("_extra", pa.string()),  # JSON object of the export's columns the mapping does not name
        pa.field("_source_file", pa.string(), nullable=False),
        ("_source_row", pa.int64()),
        ("_file_hash", pa.string()),
        ("_file_mtime", ARROW_TYPES["timestamp"]),
    ]
    return pa.schema([*shop, *canonical, *lineage])


@dataclass(frozen=True)
class FileContext:
    """Where a file came from: becomes the lineage columns of every row it holds."""

    path: Path
    relative_path: str  # posix path below the landing folder; the file's identity
    file_hash: str
    mtime_ns: int
    platform: str | None = None  # None for ERP files
    shop_code: str | None = None
    timezone: str = DEFAULT_TIMEZONE


@dataclass(frozen=True)
class ReadExport:
    """One export read and matched to its mapping; its cells are still the file's text, typed with its batch."""

    context: FileContext
    sheet: RawSheet
    matched: dict[str, tuple[int, str]]  # canonical/input column -> (position, header) of the column feeding it
    extra: tuple[tuple[str, int], ...]  # JSON key and position of each export column the mapping does not name

    @property
    def rows(self) -> int:
        return self.sheet.cells.num_rows

    def typing_key(self) -> tuple:
        """Files with the same key type the same way: same timezone, same columns read with the same units."""
        units = tuple((name, header_unit(header)) for name, (_, header) in self.matched.items())
        return self.context.timezone, units, tuple(key for key, _ in self.extra)


def _match_headers(sheet: RawSheet, mapping: ExportMapping, file: str) -> dict[str, tuple[int, str]]:
    """Canonical/input column -> (position, header) of the export column that feeds it."""
    positions: dict[str, list[int]] = {}
    for position, header in enumerate(sheet.headers):
        positions.setdefault(header_stem(header), []).append(position)
    derives = {source: d.name for d in mapping.derived.values() for source in d.inputs}
    matched: dict[str, tuple[int, str]] = {}
    missing: list[str] = []
    for column in mapping.columns.values():
        found = next((positions[header_stem(h)] for h in column.headers if header_stem(h) in positions), None)
        if found is not None:
            _check_unambiguous(sheet, found, mapping.null_tokens, file)
            matched[column.name] = (found[0], sheet.headers[found[0]])
        elif column.required:
            missing.append(f"{' / '.join(column.headers)} ({column.name})")
        elif column.name in derives and not (column.from_filename or column.default is not None):
            missing.append(f"{' / '.join(column.headers)} ({column.name}, needed to derive {derives[column.name]})")
    if missing:
        raise RejectedFile(file, f"missing required column {', '.join(missing)}")
    return matched


def _check_unambiguous(sheet: RawSheet, positions: list[int], null_tokens: frozenset[str], file: str) -> None:
    """A header the mapping reads may appear twice only if both columns say the same."""
    if len(positions) == 1:
        return
    first = clean_text(sheet.cells.column(positions[0]), null_tokens)
    for other in positions[1:]:
        if not clean_text(sheet.cells.column(other), null_tokens).equals(first):
            raise RejectedFile(file, f"header {sheet.headers[other]} appears twice (columns {positions[0] + 1} and "
                                     f"{other + 1}) with different values: keep one of them")


def _extra_columns(sheet: RawSheet, matched: dict[str, tuple[int, str]],
                   null_tokens: frozenset[str]) -> tuple[tuple[str, int], ...]:
    """Export columns the mapping does not know, each with its key in the row's `_extra` JSON object.

    A repeated header gets its column number in the key; a column without a header is kept under its
    number when it holds anything (spreadsheet re-saves add empty ones).
    """
    read_stems = {header_stem(header) for _, header in matched.values()}
    extra, keys = [], set()
    for position, header in enumerate(sheet.headers):
        if header_stem(header) in read_stems:
            continue
        if not header and not pc.any(pc.is_valid(clean_text(sheet.cells.column(position), null_tokens))).as_py():
            continue
        name = header if header and header not in keys else f"{header or 'column'} #{position + 1}"
        keys.add(name)
        extra.append((name, position))
    return tuple(extra)


def read_mapped(context: FileContext, mapping: ExportMapping) -> ReadExport:
    """Read one file and match its columns to the mapping, or raise RejectedFile naming file, row and column."""
    file = context.relative_path
    sheet = read_export(context.path, file, mapping.header_aliases())
    matched = _match_headers(sheet, mapping, file)
    return ReadExport(context, sheet, matched, _extra_columns(sheet, matched, mapping.null_tokens))


def _repeats_header(sheet: RawSheet, index: int, null_tokens: frozenset[str]) -> bool:
    """Whether a data row is the header again: two exports pasted into one file."""
    same = sum(
        bool(header) and clean_text(sheet.cells.column(position), null_tokens)[index].as_py() == header
        for position, header in enumerate(sheet.headers)
    )
    return same >= 2


def _shown(value: str, column: ColumnMapping, mapping: ExportMapping) -> str:
    """A bad value as a reason may quote it: short, and never a personal one."""
    if column.name in mapping.personal_columns:
        return "the value (not shown: personal data)"
    return repr(value if len(value) <= 40 else value[:40] + "…")


def _type_column(column: ColumnMapping, cells: pa.ChunkedArray, header: str, timezone: str) -> pa.ChunkedArray:
    if column.type == "timestamp":
        return to_timestamp(cells, timezone)
    return CONVERTERS[column.type](cells, header_unit(header))


# Called with a column whose cells (of all the files typed together) hold text that did not convert (`bad`).
OnUnconverted = Callable[[ColumnMapping, pa.ChunkedArray, pa.ChunkedArray], None]


def _rejecting(read: ReadExport, mapping: ExportMapping) -> OnUnconverted:
    """For one file typed alone: its first such cell is its rejection, naming row and column."""
    file, sheet = read.context.relative_path, read.sheet

    def reject(column: ColumnMapping, cells: pa.ChunkedArray, bad: pa.ChunkedArray) -> None:
        index, header = pc.index(bad, True).as_py(), read.matched[column.name][1]
        row = sheet.file_row(index)
        if _repeats_header(sheet, index, mapping.null_tokens):
            raise RejectedFile(file, "the header row again: two exports pasted into one file? Land them as "
                                     "separate files", row=row)
        value = cells[index].as_py()
        hint = unreadable_hint(column.type, value)
        reason = f"cannot read {_shown(value, column, mapping)} as {column.type} ({column.name})" + (f": {hint}" if hint else "")
        raise RejectedFile(file, reason, row=row, column=header)

    return reject


def _repeat(value, length: int, type_: pa.DataType = pa.string()) -> pa.Array:
    return pa.repeat(pa.scalar(value, type_), length)


def _from_filename(column: ColumnMapping, context: FileContext, length: int) -> pa.Array:
    return _repeat(next((token for token in column.from_filename if token in context.path.name), column.default), length)


def _derive(op: str, inputs: list[pa.ChunkedArray]) -> pa.ChunkedArray:
    if op == "copy":
        return inputs[0]
    if op == "concat":
        return pc.binary_join_element_wise(*inputs, "-")
    if op == "divide":
        numerator, denominator = (pc.cast(a, pa.float64()) for a in inputs)
        return pc.if_else(pc.equal(denominator, 0.0), None, pc.divide(numerator, denominator))
    if op == "sum":
        present = pc.is_valid(inputs[0])
        total = pc.fill_null(pc.cast(inputs[0], pa.float64()), 0.0)
        for array in inputs[1:]:
            present = pc.or_(present, pc.is_valid(array))
            total = pc.add(total, pc.fill_null(pc.cast(array, pa.float64()), 0.0))
        return pc.if_else(present, total, None)
    raise ValueError(op)


def _typed(reads: list[ReadExport], mapping: ExportMapping, on_unconverted: OnUnconverted) -> pa.Table:
    """The rows of files with one typing key as one raw table, each column typed in one go for all of them."""
    first, length = reads[0], sum(read.rows for read in reads)

    def text(position_of: Callable[[ReadExport], int]) -> pa.ChunkedArray:
        chunks = [chunk for read in reads for chunk in read.sheet.cells.column(position_of(read)).chunks]
        return clean_text(pa.chunked_array(chunks, pa.string()), mapping.null_tokens)

    def per_file(value_of: Callable[[ReadExport], pa.Array], type_: pa.DataType = pa.string()) -> pa.ChunkedArray:
        return pa.chunked_array([value_of(read) for read in reads], type_)

    values: dict[str, pa.ChunkedArray] = {}
    for column in mapping.columns.values():
        if column.name in first.matched:  # then in every file typed with it: matched columns are in the key
            cells = text(lambda read: read.matched[column.name][0])
            typed = _type_column(column, cells, first.matched[column.name][1], first.context.timezone)
            if (bad := unconverted(cells, typed)) is not None:
                on_unconverted(column, cells, bad)
            values[column.name] = typed
        elif column.from_filename or column.default is not None:
            values[column.name] = per_file(lambda read: _from_filename(column, read.context, read.rows))
    for derived in mapping.derived.values():
        values[derived.name] = _derive(derived.op, [values[i] for i in derived.inputs])

    arrays: dict[str, pa.ChunkedArray] = {}
    if not mapping.is_erp:
        arrays["platform"] = per_file(lambda read: _repeat(read.context.platform, read.rows))
        arrays["shop_code"] = per_file(lambda read: _repeat(read.context.shop_code, read.rows))
    for name, type_ in mapping.schema.items():
        arrow_type = ARROW_TYPES[type_]
        arrays[name] = pc.cast(values[name], arrow_type) if name in values else pa.chunked_array([pa.nulls(length, arrow_type)])
    extra = extra_json([name for name, _ in first.extra], lambda index: text(lambda read: read.extra[index][1]))
    arrays["_extra"] = extra if extra is not None else pa.chunked_array([pa.nulls(length, pa.string())])
    arrays["_source_file"] = per_file(lambda read: _repeat(read.context.relative_path, read.rows))
    arrays["_source_row"] = per_file(lambda read: read.sheet.row_numbers, pa.int64())
    arrays["_file_hash"] = per_file(lambda read: _repeat(read.context.file_hash, read.rows))
    mtime_type = ARROW_TYPES["timestamp"]
    arrays["_file_mtime"] = per_file(lambda read: _repeat(read.context.mtime_ns // 1000, read.rows, mtime_type), mtime_type)
    schema = raw_arrow_schema(mapping)
    return pa.Table.from_arrays([arrays[name] for name in schema.names], schema=schema)


def _type_alone(read: ReadExport, mapping: ExportMapping) -> pa.Table | RejectedFile:
    """One file typed on its own, inside its per-file boundary: its table, or its rejection."""
    try:
        return within_file_boundary(read.context.relative_path, lambda: _typed([read], mapping, _rejecting(read, mapping)))
    except RejectedFile as rejection:
        return rejection


def _type_together(reads: list[ReadExport], mapping: ExportMapping) -> list[pa.Table | RejectedFile]:
    ends = list(itertools.accumulate(read.rows for read in reads))
    holding_bad: set[int] = set()

    def note_files(column: ColumnMapping, cells: pa.ChunkedArray, bad: pa.ChunkedArray) -> None:
        holding_bad.update(bisect.bisect_right(ends, row) for row in pc.indices_nonzero(bad).to_pylist())

    try:
        table = _typed(reads, mapping, note_files)
    except Exception as error:  # not a value that did not convert: typed alone, each file finds out whether it is its own
        if stops_the_step(error):
            raise
        return [_type_alone(read, mapping) for read in reads]
    if holding_bad:
        good = [read for index, read in enumerate(reads) if index not in holding_bad]
        typed_good = iter(_type_together(good, mapping) if good else [])
        return [_type_alone(read, mapping) if index in holding_bad else next(typed_good) for index, read in enumerate(reads)]
    return [table.slice(end - read.rows, read.rows) for end, read in zip(ends, reads)]


def type_exports(reads: list[ReadExport], mapping: ExportMapping) -> list[pa.Table | RejectedFile]:
    """Each file's raw table, or its rejection; the files that type the same way are typed together."""
    groups: dict[tuple, list[int]] = {}
    for index, read in enumerate(reads):
        groups.setdefault(read.typing_key(), []).append(index)
    results: list[pa.Table | RejectedFile | None] = [None] * len(reads)
    for indexes in groups.values():
        for index, result in zip(indexes, _type_together([reads[i] for i in indexes], mapping)):
            results[index] = result
    return results


def parse_export(context: FileContext, mapping: ExportMapping) -> pa.Table:
    """Read, map and type one file, or raise RejectedFile naming file, row and column."""
    read = read_mapped(context, mapping)
    return _typed([read], mapping, _rejecting(read, mapping))
