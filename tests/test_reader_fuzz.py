"""Property: whatever a real export is mutated into, the reader returns typed raw rows or raises RejectedFile.

Mutations start from real generated exports (UTF-8, UTF-8 with BOM, GBK, title
rows, quoted cells, XLSX) and change bytes (flips, cuts, insertions of NUL,
quotes, line breaks, invalid UTF-8 and GBK fragments, repeated spans), cells
or headers. `parse_export` is called directly, outside the per-file boundary:
an error of any other type, or a rejection the boundary had to make up
("unexpected ..."), is a reader bug the boundary would only be hiding.

Bounded for CI (200 examples, same ones every run); ECOMOPS_FUZZ_EXAMPLES=N
asks for N random ones.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from pathlib import Path

import pyarrow as pa
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from demo_data import generate
from ingestion.mapping import load_mappings
from ingestion.parse import FileContext, parse_export, raw_arrow_schema
from ingestion.rejection import RejectedFile

EXAMPLES = int(os.environ.get("ECOMOPS_FUZZ_EXAMPLES", "0") or 0)
SEEDS = {  # raw table -> the landing folder of its seed export: one of each shape the platforms write
    "pdd_orders": "pdd/pdd01/orders",  # UTF-8, tab-prefixed ids, quoted cells, CRLF
    "taobao_orders": "taobao/tb01/orders",  # GBK, ="…" ids
    "jd_orders": "jd/jd01/orders",  # UTF-8 with BOM, 2026/10/1 9:30 times
    "taobao_traffic_shop": "taobao/tb01/traffic_shop",  # GBK, title rows, percents
    "tmall_traffic_sku": "tmall/tm01/traffic_sku",  # GB18030
    "douyin_settlement": "douyin/dy01/settlement",  # amounts in fen
    "tmall_orders": "tmall/tm01/orders",  # XLSX
    "erp_budgets": "erp/budgets",  # XLSX with a title row
}
FRAGMENTS = [b"\x00", b'"', b"\n", b"\r", b"\r\n", b",", b'","', b"\xff", b"\xfe\xff", b"\xe4\xb8", b"\xc3", b"\x81",
             "中".encode("gbk"), "𠮷".encode("gb18030"), b"\xef\xbb\xbf", b'="', b"E+15", b"-", b"%", b"PK\x03\x04",
             b"\x89PNG", b"<html>"]
KEEP_ROWS = 25  # data rows kept from each seed: mutations stay cheap, every column still varies


def _small(data: bytes) -> bytes:
    """A seed cut to its title rows, header and first data rows, at a line break."""
    lines = data.split(b"\n")
    return b"\n".join(lines[: KEEP_ROWS + 8]) + b"\n"


@pytest.fixture(scope="module")
def seeds(tmp_path_factory) -> dict[str, tuple[str, bytes]]:
    """Relative path -> (raw table, bytes) of one generated export per seed folder."""
    landing = tmp_path_factory.mktemp("fuzz_seeds")
    generate(landing, shops=5, days=1)
    chosen = {table: sorted((landing / folder).iterdir())[0] for table, folder in SEEDS.items()}
    return {path.relative_to(landing).as_posix(): (table, path.read_bytes()) for table, path in chosen.items()}


def _xlsx_rows(data: bytes) -> list[list[object]]:
    return CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python(skip_empty_area=False)


def _xlsx(rows: list[list[object]]) -> bytes:
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer, {"in_memory": True, "nan_inf_to_errors": True,
                                      "default_date_format": "yyyy-mm-dd hh:mm:ss"}) as book:
        sheet = book.add_worksheet()
        for r, row in enumerate(rows[:KEEP_ROWS + 8]):
            for c, value in enumerate(row):
                sheet.write(r, c, value)
    return buffer.getvalue()


cell_values = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", "-", "--", "无", "/", "NaN", "1e400", "2.93847E+15", "12.5%", "%", "1,234.50", "¥", "-0",
                     "2026-02-30", "2026/13/1 25:61", "00:61:99", '="', "'", "\t", "=\"123", "9" * 40, "0x1F"]),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)
excel_values = st.one_of(
    st.text(max_size=30), st.integers(min_value=-(2**53), max_value=2**53), st.floats(), st.booleans(),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(9999, 1, 1)), st.none(),
)


@st.composite
def byte_mutation(draw, data: bytes) -> bytes:
    position = draw(st.integers(min_value=0, max_value=len(data)))
    kind = draw(st.sampled_from(["flip", "cut", "insert", "delete", "repeat"]))
    if kind == "flip" and position < len(data):
        return data[:position] + bytes([data[position] ^ (1 << draw(st.integers(0, 7)))]) + data[position + 1:]
    if kind == "cut":
        return data[:position]
    if kind == "insert":
        return data[:position] + draw(st.sampled_from(FRAGMENTS)) * draw(st.integers(1, 3)) + data[position:]
    end = draw(st.integers(min_value=position, max_value=min(len(data), position + 400)))
    if kind == "delete":
        return data[:position] + data[end:]
    return data[:end] + data[position:end] * draw(st.integers(1, 3)) + data[end:]


@st.composite
def cell_mutation(draw, data: bytes, encoding: str) -> bytes:
    """One cell (a header cell when row 0 is drawn) set to another value, the file's encoding kept where it can be."""
    lines = data.split(b"\n")
    row = draw(st.integers(min_value=0, max_value=len(lines) - 1))
    cells = lines[row].split(b",")
    column = draw(st.integers(min_value=0, max_value=len(cells) - 1))
    if draw(st.booleans()):
        cells[column] = draw(cell_values).encode(encoding, errors="replace")
    else:  # drop or duplicate the cell: the row's width changes
        cells[column:column + 1] = [] if draw(st.booleans()) else [cells[column]] * 2
    lines[row] = b",".join(cells)
    return b"\n".join(lines)


@st.composite
def mutated_export(draw, seeds: dict[str, tuple[str, bytes]]) -> tuple[str, str, bytes]:
    relative = draw(st.sampled_from(sorted(seeds)))
    table, data = seeds[relative]
    name = Path(relative).name
    if relative.endswith(".xlsx") and draw(st.booleans()):
        rows = _xlsx_rows(data)
        for _ in range(draw(st.integers(1, 4))):
            r = draw(st.integers(0, min(len(rows), KEEP_ROWS + 8) - 1))
            c = draw(st.integers(0, max(len(rows[r]) - 1, 0)))
            if rows[r]:
                rows[r][c] = draw(excel_values)
        return relative, table, _xlsx(rows)
    if relative.endswith(".csv"):
        data = _small(data)
        encoding = "utf-8" if relative.startswith(("pdd", "jd", "douyin")) else "gb18030"
        for _ in range(draw(st.integers(0, 3))):
            data = draw(cell_mutation(data, encoding))
    for _ in range(draw(st.integers(0 if relative.endswith(".csv") else 1, 4))):
        data = draw(byte_mutation(data))
    if draw(st.integers(0, 9)) == 0:  # sometimes saved under the other suffix: the bytes decide how it reads
        name = Path(name).with_suffix(".xlsx" if name.endswith(".csv") else ".csv").name
    return str(Path(relative).with_name(name)), table, data


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def test_mutated_exports_read_as_typed_rows_or_a_rejection(seeds, scratch):
    mappings = load_mappings().by_table
    seen = {"loaded": 0, "rejected": 0}

    @settings(max_examples=EXAMPLES or 200, derandomize=not EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example])
    @given(export=mutated_export(seeds))
    def reader_never_fails_otherwise(export):
        relative, table, data = export
        path = scratch / Path(relative).name
        path.write_bytes(data)
        platform, shop = relative.split("/")[:2]
        context = FileContext(path, relative, "hash", 0, None if platform == "erp" else platform,
                              None if platform == "erp" else shop)
        try:
            result = parse_export(context, mappings[table])
        except RejectedFile as rejection:
            assert "unexpected" not in rejection.reason, str(rejection)
            assert str(rejection).startswith(relative)
            seen["rejected"] += 1
            return
        assert isinstance(result, pa.Table)
        assert result.schema == raw_arrow_schema(mappings[table])
        assert result.column("_source_row").null_count == 0
        seen["loaded"] += 1

    reader_never_fails_otherwise()
    assert seen["loaded"] and seen["rejected"], seen  # the mutations reach both outcomes
