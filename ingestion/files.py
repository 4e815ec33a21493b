"""Read one export file (CSV in any of the sellers' encodings, or XLSX) into an Arrow table of strings.

Everything stays text here: typing is the mapping's job, so a bad value can be
reported with the file, row and column it came from.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
from python_calamine import CalamineWorkbook

from ingestion.mapping import header_stem

HEADER_SEARCH_ROWS = 30
CSV_SUFFIXES = {".csv", ".txt"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
SUPPORTED_SUFFIXES = CSV_SUFFIXES | EXCEL_SUFFIXES


class RejectedFile(Exception):
    """A file that cannot be loaded as a whole; the message names file, row and column."""

    def __init__(self, file: str, reason: str, row: int | None = None, column: str | None = None):
        self.file, self.reason, self.row, self.column = file, reason, row, column
        where = "".join(
            [f", row {row}" if row is not None else "", f", column {column}" if column is not None else ""]
        )
        super().__init__(f"{file}{where}: {reason}")


@dataclass
class RawSheet:
    """The header and the text cells of one export."""

    headers: list[str]
    cells: pa.Table  # one string column per header, named by position ("c0", "c1", ...)
    row_numbers: pa.Array  # 1-based file row of each data row, as a spreadsheet shows it
    encoding: str

    def file_row(self, index: int) -> int:
        return self.row_numbers[index].as_py()


def decode_text(raw: bytes, file: str) -> tuple[str, str]:
    """Detect UTF-8 (with or without BOM), GBK or GB18030, never asking."""
    if raw.startswith(codecs.BOM_UTF8):
        candidates = [("utf-8-sig", raw[len(codecs.BOM_UTF8):], "utf-8")]
    else:
        candidates = [("utf-8", raw, "utf-8"), ("gb18030", raw, "gb18030")]
    error: UnicodeDecodeError | None = None
    for label, payload, codec in candidates:
        try:
            return payload.decode(codec), label
        except UnicodeDecodeError as exc:
            error = error or exc
    assert error is not None
    row = raw[: error.start].count(b"\n") + 1
    raise RejectedFile(file, "cannot decode as UTF-8, GBK or GB18030 text", row=row)


def find_header(rows: Iterable[list[str]], aliases: set[str], file: str) -> tuple[int, list[str]]:
    """The first row that names at least two known columns (title and blank rows come before it)."""
    needed = min(2, len(aliases))
    for index, row in enumerate(rows):
        if index >= HEADER_SEARCH_ROWS:
            break
        if sum(header_stem(cell) in aliases for cell in row if cell) >= needed:
            return index, [str(cell).strip().lstrip("\ufeff") for cell in row]
    sample = ", ".join(sorted(aliases)[:4])
    raise RejectedFile(file, f"no header row in the first {HEADER_SEARCH_ROWS} rows names the expected columns ({sample}, ...)")


def _leading_lines(text: str, count: int) -> tuple[list[str], list[int]]:
    """The first `count` lines and their start offsets, without splitting the whole file."""
    lines, offsets, start = [], [], 0
    while len(lines) < count and start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        lines.append(text[start:end])
        offsets.append(start)
        start = end
    return lines, offsets


def read_csv(path: Path, file: str, aliases: set[str]) -> RawSheet:
    raw = path.read_bytes()
    text, encoding = decode_text(raw, file)
    lines, offsets = _leading_lines(text, HEADER_SEARCH_ROWS)
    parsed = [next(csv.reader([line]), []) for line in lines]
    header_index, headers = find_header(parsed, aliases, file)
    body_start = offsets[header_index] + len(lines[header_index])
    if encoding == "gb18030":
        body = text[body_start:].encode("utf-8")
    else:  # already UTF-8: hand Arrow the original bytes after the header line
        bom = len(codecs.BOM_UTF8) if encoding == "utf-8-sig" else 0
        body = raw[bom + len(text[:body_start].encode("utf-8")):]
    names = [f"c{i}" for i in range(len(headers))]
    bad_rows: list[pacsv.InvalidRow] = []

    def on_invalid_row(row: pacsv.InvalidRow) -> str:
        bad_rows.append(row)
        return "skip"

    try:
        cells = pacsv.read_csv(
            io.BytesIO(body),
            read_options=pacsv.ReadOptions(column_names=names, block_size=8 << 20),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_invalid_row),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        raise RejectedFile(file, f"malformed CSV: {exc}") from exc
    first_data_row = header_index + 2
    if bad_rows:
        bad = bad_rows[0]
        offset = body.find(bad.text.encode("utf-8"))
        raise RejectedFile(
            file,
            f"{bad.actual_columns} fields where the header has {bad.expected_columns}: {bad.text[:80]!r}",
            row=first_data_row + body[:offset].count(b"\n") if offset >= 0 else None,
        )
    row_numbers = pa.array(range(first_data_row, first_data_row + cells.num_rows), pa.int64())
    return RawSheet(headers, cells, row_numbers, encoding)


def excel_cell_text(value: object) -> str:
    """Excel cells as the text a person sees, keeping every digit of numeric ids."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value.total_seconds())
    return "" if value is None else str(value)


def read_excel(path: Path, file: str, aliases: set[str]) -> RawSheet:
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        rows = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises its own error types for corrupt workbooks
        raise RejectedFile(file, f"cannot read as a spreadsheet: {exc}") from exc
    header_index, headers = find_header(([excel_cell_text(v) for v in row] for row in rows), aliases, file)
    width = len(headers)
    kept = [
        (number, row)
        for number, row in enumerate(rows[header_index + 1:], start=header_index + 2)
        if any(v not in ("", None) for v in row)
    ]
    columns = [
        pa.array([excel_cell_text(row[i]) if i < len(row) else "" for _, row in kept], pa.string())
        for i in range(width)
    ]
    cells = pa.table(columns, names=[f"c{i}" for i in range(width)])
    return RawSheet(headers, cells, pa.array([n for n, _ in kept], pa.int64()), "xlsx")


def read_export(path: Path, file: str, aliases: set[str]) -> RawSheet:
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return read_csv(path, file, aliases)
    if suffix in EXCEL_SUFFIXES:
        return read_excel(path, file, aliases)
    raise RejectedFile(file, f"unsupported file type {suffix!r}: export as CSV or XLSX")
