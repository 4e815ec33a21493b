"""Read one export file (CSV in any of the sellers' encodings, or a workbook) into an Arrow table of strings.

Everything stays text here: typing is the mapping's job, so a bad value can be
reported with the file, row and column it came from. What a file is comes
from its bytes, not its name: a CSV saved as `.xlsx` reads as CSV.

Limits (a file beyond them is rejected, with the reason): a row of a CSV up to
16 MiB (so one cell too), 16,384 columns (a spreadsheet's own limit), the
header within the first 30 rows. Memory stays bounded by the size of the
resulting table: a CSV body is streamed into pyarrow, never held as text.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
from python_calamine import CalamineError, CalamineWorkbook

from ingestion.mapping import header_stem
from ingestion.rejection import RejectedFile
from ingestion.text import CUT_SHORT, UNDECODABLE, TextExport, read_prefix, split_csv_line

HEADER_SEARCH_ROWS = 30
MAX_COLUMNS = 16_384  # as many as a spreadsheet holds
MAX_ROW_BYTES = 16 << 20  # pyarrow's block size: a row no longer than a block always reads
TOO_LONG = f"a row longer than {MAX_ROW_BYTES >> 20} MiB, the most one row may hold"
_FIELD_COUNTS = re.compile(r"Expected (?P<expected>\d+) columns, got (?P<got>\d+)")
_ROW_NUMBER = re.compile(r"Row #(\d+)")
EXCEL_BATCH_ROWS = 50_000  # workbook rows become Arrow arrays this many at a time
CSV_SUFFIXES = {".csv", ".txt"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
SUPPORTED_SUFFIXES = CSV_SUFFIXES | EXCEL_SUFFIXES
WORKBOOK_SIGNATURES = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")  # XLSX (a zip), legacy XLS (OLE2)


@dataclass
class RawSheet:
    """The header and the text cells of one export."""

    headers: list[str]
    cells: pa.Table  # one string column per header, named by position ("c0", "c1", ...)
    row_numbers: pa.Array  # 1-based file row of each data row, as a spreadsheet shows it
    encoding: str

    def file_row(self, index: int) -> int:
        return self.row_numbers[index].as_py()


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


def _check_width(headers: list[str], file: str) -> None:
    if len(headers) > MAX_COLUMNS:
        raise RejectedFile(file, f"the header row has {len(headers):,} columns, more than the {MAX_COLUMNS:,} a spreadsheet holds")


def _empty_cells(width: int) -> pa.Table:
    return pa.table({f"c{i}": pa.array([], pa.string()) for i in range(width)})


def _arrow_csv(stream: pa.NativeFile, width: int, use_threads: bool = True) -> tuple[pa.Table, list[pacsv.InvalidRow]]:
    names = [f"c{i}" for i in range(width)]
    invalid: list[pacsv.InvalidRow] = []

    def on_invalid_row(row: pacsv.InvalidRow) -> str:
        invalid.append(row)
        return "skip"

    with stream:
        cells = pacsv.read_csv(
            stream,
            read_options=pacsv.ReadOptions(column_names=names, block_size=MAX_ROW_BYTES, use_threads=use_threads),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_invalid_row),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    return cells, invalid


def _invalid_row_rejection(text: TextExport, start: int, first_row: int, encoding: str, width: int,
                           ends_with_newline: bool, file: str) -> RejectedFile:
    """Name the first row whose field count differs from the header's (row numbers need a one-thread re-read).

    pyarrow hands such a row to the handler, or, when the row is no valid UTF-8, raises with the counts.
    """
    try:
        found = _arrow_csv(text.stream(start, encoding), width, use_threads=False)[1]
        bad = (found[0].actual_columns, found[0].expected_columns, found[0].number) if found else None
    except pa.ArrowInvalid as error:
        counts, number = _FIELD_COUNTS.search(str(error)), _ROW_NUMBER.search(str(error))
        bad = (int(counts["got"]), int(counts["expected"]), int(number[1]) if number else None) if counts else None
    if bad is None:
        return RejectedFile(file, "rows of unequal length")
    actual, expected, number = bad
    reason = f"{actual} fields where the header has {expected}"
    if actual < expected and not ends_with_newline:
        reason += f"; {CUT_SHORT}"
    return RejectedFile(file, reason, row=first_row - 1 + number if number is not None else None)


def _read_body(text: TextExport, start: int, first_row: int, width: int, ends_with_newline: bool, file: str,
               encoding: str) -> tuple[pa.Table, str]:
    """The cells below the header, streamed into pyarrow; and the encoding that read them."""
    if start >= text.size:
        return _empty_cells(width), encoding
    try:
        cells, invalid = _arrow_csv(text.stream(start, encoding), width)
    except pa.ArrowInvalid as error:
        message = str(error)
        if "Empty CSV file" in message:
            return _empty_cells(width), encoding
        if "straddl" in message:
            raise RejectedFile(file, TOO_LONG, row=text.first_row_longer_than(start, first_row, MAX_ROW_BYTES)) from None
        if "invalid UTF8" in message:
            if encoding == "utf-8" and not text.non_ascii_head:  # an ASCII head said nothing: GBK further down
                return _read_body(text, start, first_row, width, ends_with_newline, file, "gb18030")
            raise _undecodable(text, start, first_row, encoding, ends_with_newline, file) from None
        if _FIELD_COUNTS.search(message):  # a row pyarrow could not hand to the handler (bad UTF-8)
            raise _invalid_row_rejection(text, start, first_row, encoding, width, ends_with_newline, file) from None
        # pyarrow's messages can end with the row's text: keep only what comes before it
        raise RejectedFile(file, f"malformed CSV ({message.split(':')[0][:80]})") from None
    except UnicodeDecodeError:  # raised by the GB18030 transcoding stream
        raise _undecodable(text, start, first_row, encoding, ends_with_newline, file) from None
    if invalid:
        raise _invalid_row_rejection(text, start, first_row, encoding, width, ends_with_newline, file)
    return cells, encoding


def _undecodable(text: TextExport, start: int, first_row: int, encoding: str, ends_with_newline: bool,
                 file: str) -> RejectedFile:
    row = text.first_undecodable_row(start, first_row, encoding)
    return RejectedFile(file, UNDECODABLE + ("" if ends_with_newline else f"; {CUT_SHORT}"), row=row)


def read_csv(path: Path, file: str, aliases: set[str]) -> RawSheet:
    text = read_prefix(path, file, HEADER_SEARCH_ROWS)
    header_index, headers = find_header((split_csv_line(line) for line in text.lines), aliases, file)
    _check_width(headers, file)
    start, first_row = text.ends[header_index], header_index + 2
    facts = text.scan_body(start, first_row)
    if facts.nul_row is not None:
        raise RejectedFile(file, "NUL bytes: a damaged file, or not a text export", row=facts.nul_row)
    if facts.may_hold_long_rows and (row := text.first_row_longer_than(start, first_row, MAX_ROW_BYTES)) is not None:
        raise RejectedFile(file, TOO_LONG, row=row)
    if not facts.quotes_balanced and (row := text.unclosed_quote_row(start, first_row)) is not None:
        hint = "" if facts.ends_with_newline else f"; {CUT_SHORT}"
        raise RejectedFile(file, f"a quoted cell opens here and is never closed{hint}", row=row)
    cells, encoding = _read_body(text, start, first_row, len(headers), facts.ends_with_newline, file, text.encoding)
    row_numbers = pa.array(range(first_row, first_row + cells.num_rows), pa.int64())
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


def _sheet_rows(workbook: CalamineWorkbook, index: int) -> Iterator[tuple[int, list]]:
    """(file row, cells) of one sheet, lazily; the row number is the one the spreadsheet shows."""
    sheet = workbook.get_sheet_by_index(index)
    first = (sheet.start or (0, 0))[0] + 1
    return enumerate(sheet.iter_rows(), start=first)


def _excel_columns(rows: Iterator[tuple[int, list]], width: int) -> tuple[pa.Table, pa.Array]:
    """The non-empty rows below the header, as string columns built a batch at a time."""
    chunks: list[list[pa.Array]] = [[] for _ in range(width)]
    numbers: list[pa.Array] = []
    batch: list[tuple[int, list]] = []

    def flush() -> None:
        padded = [r if len(r) >= width else [*r, *[""] * (width - len(r))] for _, r in batch]
        for i, cells in enumerate(zip(*padded)) if padded else enumerate([()] * width):
            if i == width:
                break
            # Most cells are text already: only the others pay for a call.
            chunks[i].append(pa.array([c if type(c) is str else excel_cell_text(c) for c in cells], pa.string()))
        numbers.append(pa.array([n for n, _ in batch], pa.int64()))
        batch.clear()

    for number, row in rows:
        if any(v not in ("", None) for v in row):
            batch.append((number, row))
            if len(batch) >= EXCEL_BATCH_ROWS:
                flush()
    flush()
    columns = [pa.chunked_array(chunk, pa.string()) for chunk in chunks]
    return pa.table(columns, names=[f"c{i}" for i in range(width)]), pa.concat_arrays(numbers)


DAMAGED_WORKBOOK = "cannot read as a spreadsheet (damaged, password-protected or not a workbook)"


def read_excel(path: Path, file: str, aliases: set[str]) -> RawSheet:
    """The first sheet whose header row names the export's columns (a summary sheet may come first)."""
    try:
        return _read_workbook(path, file, aliases)
    except CalamineError as error:  # raised opening the workbook, a sheet, or a row of a damaged file
        raise RejectedFile(file, f"{DAMAGED_WORKBOOK}: {str(error)[:160]}") from None


def _read_workbook(path: Path, file: str, aliases: set[str]) -> RawSheet:
    workbook = CalamineWorkbook.from_path(str(path))
    sheet_count = len(workbook.sheet_names)
    first_miss: RejectedFile | None = None
    for index in range(sheet_count):
        rows = _sheet_rows(workbook, index)
        leading = [numbered for _, numbered in zip(range(HEADER_SEARCH_ROWS), rows)]
        try:
            header_index, headers = find_header(([excel_cell_text(v) for v in row] for _, row in leading), aliases, file)
        except RejectedFile as miss:
            first_miss = first_miss or miss
            continue
        _check_width(headers, file)
        cells, numbers = _excel_columns(itertools.chain(leading[header_index + 1:], rows), len(headers))
        return RawSheet(headers, cells, numbers, "xlsx")
    if first_miss is None:
        raise RejectedFile(file, "the workbook has no sheets")
    raise RejectedFile(file, f"{first_miss.reason} (in any of its {sheet_count} sheets)")


def read_export(path: Path, file: str, aliases: set[str]) -> RawSheet:
    """A workbook if its bytes are one (whatever its name), else a text export."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise RejectedFile(file, f"unsupported file type {suffix!r}: export as CSV or XLSX")
    with path.open("rb") as handle:
        magic = handle.read(8)
    if magic.startswith(WORKBOOK_SIGNATURES):
        return read_excel(path, file, aliases)
    return read_csv(path, file, aliases)
