"""Turn one export file into a canonical raw Arrow table, following its mapping."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from ecomops.settings import DEFAULT_TIMEZONE
from ingestion.convert import ARROW_TYPES, CONVERTERS, clean_text, first_bad_value, to_timestamp, unreadable_hint
from ingestion.files import RawSheet, read_export
from ingestion.mapping import ColumnMapping, ExportMapping, header_stem, header_unit
from ingestion.rejection import RejectedFile


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
            _check_unambiguous(sheet, found, file)
            matched[column.name] = (found[0], sheet.headers[found[0]])
        elif column.required:
            missing.append(f"{' / '.join(column.headers)} ({column.name})")
        elif column.name in derives and not (column.from_filename or column.default is not None):
            missing.append(f"{' / '.join(column.headers)} ({column.name}, needed to derive {derives[column.name]})")
    if missing:
        raise RejectedFile(file, f"missing required column {', '.join(missing)}")
    return matched


def _check_unambiguous(sheet: RawSheet, positions: list[int], file: str) -> None:
    """A header the mapping reads may appear twice only if both columns say the same."""
    first = sheet.cells.column(positions[0])
    for other in positions[1:]:
        if not sheet.cells.column(other).equals(first):
            raise RejectedFile(file, f"header {sheet.headers[other]} appears twice (columns {positions[0] + 1} and "
                                     f"{other + 1}) with different values: keep one of them")


def _repeats_header(sheet: RawSheet, index: int) -> bool:
    """Whether a data row is the header again: two exports pasted into one file."""
    same = sum(
        bool(header) and sheet.cells.column(position)[index].as_py() == header
        for position, header in enumerate(sheet.headers)
    )
    return same >= 2


def _shown(value: str, column: ColumnMapping, mapping: ExportMapping) -> str:
    """A bad value as a reason may quote it: short, and never a personal one."""
    if column.name in mapping.personal_columns:
        return "the value (not shown: personal data)"
    return repr(value if len(value) <= 40 else value[:40] + "…")


def _convert(column: ColumnMapping, cells: pa.Array, header: str, context: FileContext, sheet: RawSheet,
             mapping: ExportMapping) -> pa.Array:
    if column.type == "timestamp":
        typed = to_timestamp(cells, context.timezone)
    else:
        typed = CONVERTERS[column.type](cells, header_unit(header))
    bad = first_bad_value(cells, typed)
    if bad is None:
        return typed
    file, row = context.relative_path, sheet.file_row(bad)
    if _repeats_header(sheet, bad):
        raise RejectedFile(file, "the header row again: two exports pasted into one file? Land them as separate files",
                           row=row)
    value = cells[bad].as_py()
    hint = unreadable_hint(column.type, value)
    reason = f"cannot read {_shown(value, column, mapping)} as {column.type} ({column.name})" + (f": {hint}" if hint else "")
    raise RejectedFile(file, reason, row=row, column=header)


def _repeat(value: str | None, length: int) -> pa.Array:
    return pa.repeat(pa.scalar(value, pa.string()), length)


def _from_filename(column: ColumnMapping, context: FileContext, length: int) -> pa.Array:
    return _repeat(next((token for token in column.from_filename if token in context.path.name), column.default), length)


def _derive(op: str, inputs: list[pa.Array]) -> pa.Array:
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


def _json_string(values: pa.Array) -> pa.Array:
    escaped = values
    for raw, replacement in (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t")):
        escaped = pc.replace_substring(escaped, raw, replacement)
    return pc.fill_null(pc.binary_join_element_wise('"', escaped, '"', ""), "null")


def _extra_json(sheet: RawSheet, used_positions: set[int], cleaned: dict[int, pa.Array]) -> pa.Array | None:
    """Export columns the mapping does not know, kept as one JSON object per row.

    A repeated header gets its column number in the key; a column without a header is kept under its
    number when it holds anything (spreadsheet re-saves add empty ones).
    """
    members, keys = [], set()
    for position, header in enumerate(sheet.headers):
        if position in used_positions:
            continue
        if not header and not pc.any(pc.is_valid(cleaned[position])).as_py():
            continue
        name = header if header and header not in keys else f"{header or 'column'} #{position + 1}"
        keys.add(name)
        key = _json_string(pa.array([name], pa.string()))[0].as_py()
        members.append(pc.binary_join_element_wise(f"{key}:", _json_string(cleaned[position]), ""))
    if not members:
        return None
    joined = pc.binary_join_element_wise(*members, ",") if len(members) > 1 else members[0]
    return pc.binary_join_element_wise("{", joined, "}", "")


def _cleaned(sheet: RawSheet, null_tokens: frozenset[str]) -> RawSheet:
    """The sheet with trimmed cells and nulls for null tokens; the raw text is let go (a big file is held once)."""
    cells = pa.table([clean_text(column, null_tokens) for column in sheet.cells.columns], names=sheet.cells.column_names)
    return RawSheet(sheet.headers, cells, sheet.row_numbers, sheet.encoding)


def parse_export(context: FileContext, mapping: ExportMapping) -> pa.Table:
    """Read, map and type one file, or raise RejectedFile naming file, row and column."""
    file = context.relative_path
    sheet = _cleaned(read_export(context.path, file, mapping.header_aliases()), mapping.null_tokens)
    matched = _match_headers(sheet, mapping, file)
    length = sheet.cells.num_rows
    cleaned = {position: sheet.cells.column(position) for position in range(len(sheet.headers))}

    values: dict[str, pa.Array] = {}
    for column in mapping.columns.values():
        if column.name in matched:
            position, header = matched[column.name]
            values[column.name] = _convert(column, cleaned[position], header, context, sheet, mapping)
        elif column.from_filename or column.default is not None:
            values[column.name] = _from_filename(column, context, length)
    for derived in mapping.derived.values():
        values[derived.name] = _derive(derived.op, [values[i] for i in derived.inputs])

    arrays: dict[str, pa.Array] = {}
    if not mapping.is_erp:
        arrays["platform"] = _repeat(context.platform, length)
        arrays["shop_code"] = _repeat(context.shop_code, length)
    for name, type_ in mapping.schema.items():
        arrow_type = ARROW_TYPES[type_]
        arrays[name] = pc.cast(values[name], arrow_type) if name in values else pa.nulls(length, arrow_type)
    read_stems = {header_stem(header) for _, header in matched.values()}
    used_positions = {position for position, header in enumerate(sheet.headers) if header_stem(header) in read_stems}
    extra = _extra_json(sheet, used_positions, cleaned)
    arrays["_extra"] = extra if extra is not None else pa.nulls(length, pa.string())
    arrays["_source_file"] = _repeat(file, length)
    arrays["_source_row"] = sheet.row_numbers
    arrays["_file_hash"] = _repeat(context.file_hash, length)
    arrays["_file_mtime"] = pa.repeat(pa.scalar(context.mtime_ns // 1000, ARROW_TYPES["timestamp"]), length)
    schema = raw_arrow_schema(mapping)
    return pa.Table.from_arrays([arrays[name] for name in schema.names], schema=schema)
