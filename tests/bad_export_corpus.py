"""Broken and odd export files, made from a generated landing's real exports (no binary fixtures in git).

Each case says where its file lands and what must become of it: rejected with
a reason (and the row, where one is to blame), or loaded like the real export
it is. `test_bad_files.py` checks each one reader-level and end to end.
"""

from __future__ import annotations

import io
import random
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa
import xlsxwriter
from python_calamine import CalamineWorkbook

PDD_ORDERS = "pdd/pdd01/orders/订单列表_20261001.csv"  # UTF-8 without BOM, tab-prefixed ids
PDD_REFUNDS = "pdd/pdd01/refunds/售后列表_20261001.csv"
TAOBAO_ORDERS = "taobao/tb01/orders/订单导出_20261001.csv"  # GBK, ="…" ids
TMALL_ORDERS = "tmall/tm01/orders/订单报表_20261001.xlsx"
CORPUS_PREFIX = "坏文件_"  # every corpus file's name starts so: easy to tell apart from the generated ones
Source = Callable[[str], bytes]  # relative path in the clean landing -> its bytes


@dataclass(frozen=True)
class Case:
    id: str
    path: str  # where the file lands, below the landing folder
    make: Callable[[Source], bytes]
    reason: str | None = None  # rejected: a phrase its reason must hold; None: it loads
    row: int | Callable[[Source], int] | None = None  # the row a rejection must name
    same_rows_as: str | None = None  # loads: the export whose rows (lineage aside) it must equal
    rows: int | Callable[[Source], int] | None = None  # loads: how many rows
    expect: Callable[[pa.Table], bool] | None = None  # loads: what else must hold of its rows
    end_to_end: bool = True  # also part of the shared `ecomops run` pair


def _at(folder: str, name: str) -> str:
    return f"{folder}/{CORPUS_PREFIX}{name}"


def _newline(data: bytes) -> bytes:
    return b"\r\n" if b"\r\n" in data else b"\n"


def lines(data: bytes) -> list[bytes]:
    """The file's lines (generated exports hold no line breaks inside cells), without their breaks."""
    return data.split(_newline(data))


def _joined(rows: list[bytes], like: bytes) -> bytes:
    return _newline(like).join(rows)


_CELL = re.compile(rb'"(?:[^"]|"")*"|[^,]*')


def _cells(line: bytes) -> list[bytes]:
    """A line's cells as written (quotes kept), so that changing one leaves the others byte for byte."""
    cells, pos = [], 0
    while True:
        cell = _CELL.match(line, pos)
        cells.append(cell.group())
        pos = cell.end()
        if pos >= len(line):
            return cells
        pos += 1  # the comma


def _with_cell(data: bytes, row: int, column: int, value: bytes) -> bytes:
    """`data` with one cell replaced (rows and columns 0-based; row 0 is the header)."""
    rows = lines(data)
    cells = _cells(rows[row])
    cells[column] = value
    rows[row] = b",".join(cells)
    return _joined(rows, data)


def _header_position(data: bytes, header: str, encoding: str = "utf-8") -> int:
    return [c.decode(encoding) for c in _cells(lines(data)[0])].index(header)


def _data_rows(data: bytes) -> int:
    return sum(1 for line in lines(data)[1:] if line.strip())


def _without_column(data: bytes, header: str) -> bytes:
    position = _header_position(data, header)
    return _joined([b",".join(c for i, c in enumerate(_cells(line)) if i != position) if line else line
                    for line in lines(data)], data)


def _cut_after(data: bytes, marker: bytes, start_fraction: float = 0.6, extra: int = 0) -> bytes:
    """The file cut just after the first `marker` in its last part (`extra` more bytes)."""
    position = data.index(marker, int(len(data) * start_fraction))
    return data[:position + len(marker) + extra]


def _excel_lock_file() -> bytes:
    owner = "店长".encode("utf-16-le")
    return bytes([len("店长")]) + b"\x00" + owner + b"\x20" * (54 - len(owner)) + b"\x00" * 110


def _xlsx(sheets: dict[str, list[list[object]]]) -> bytes:
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer, {"in_memory": True}) as book:
        for name, rows in sheets.items():
            sheet = book.add_worksheet(name)
            for r, row in enumerate(rows):
                for c, value in enumerate(row):
                    sheet.write(r, c, value)
    return buffer.getvalue()


def _tmall_rows(source: Source) -> list[list[object]]:
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(source(TMALL_ORDERS)))
    return workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)


def _repeat_rows(data: bytes, copies: int, encoding: str) -> bytes:
    """A bigger export: the data rows again and again, each copy's order and line ids made unique."""
    header, *body = [line for line in lines(data) if line]
    out = [header]
    for copy in range(copies):
        for line in body:
            out.append(line.replace(b'="', f'="{copy:03d}'.encode(encoding), 2) if b'="' in line
                       else line.replace(b"\t", f"\t{copy:03d}".encode(encoding), 1))
    return _joined(out + [b""], data)


def _random_bytes(size: int) -> bytes:
    rng = random.Random(10)
    data = bytes(rng.randrange(1, 256) for _ in range(size))  # no NUL: the decoder, not the NUL check, decides
    return b"\x80" + data


def _pdd(source: Source) -> bytes:
    return source(PDD_ORDERS)


def _pdd_at(source: Source, header: str) -> int:
    return _header_position(_pdd(source), header)


def _taobao_at(source: Source, header: str) -> int:
    return _header_position(source(TAOBAO_ORDERS), header, "gbk")


def _widen(data: bytes, extra: int) -> bytes:
    """`extra` more columns, named in the header and empty in every row."""
    header, *body = lines(data)
    names = "".join(f",列{n}" for n in range(extra)).encode()
    return _joined([header + names] + [line + b"," * extra if line else line for line in body], data)


def _cut_in_quoted_cell(source: Source) -> bytes:
    """Row 4 ends in a quoted cell (a note with a comma) that the download cut off."""
    noted = _with_cell(_pdd(source), 3, _pdd_at(source, "商家备注"), '"请尽快发货,周末不'.encode())
    return noted[: noted.index("周末不".encode()) + len("周末不".encode())]


CASES = [
    # --- the two files of the issue ---------------------------------------------------------------
    Case("nul_bytes_in_header", _at("pdd/pdd01/orders", "nul_header.csv"),
         lambda s: _pdd(s).replace("商品总价".encode(), "商品\x00\x00\x00总价".encode(), 1),
         reason="NUL bytes", row=1),
    Case("cell_of_3_mb", _at("pdd/pdd01/orders", "3mb_cell.csv"),
         lambda s: _with_cell(_pdd(s), 1, _pdd_at(s, "商家备注"), "备".encode() * (1 << 20)), same_rows_as=PDD_ORDERS,
         expect=lambda t: len(t["_extra"][0].as_py()) > 1 << 20),
    # --- not an export at all ---------------------------------------------------------------------
    Case("zero_bytes", _at("pdd/pdd01/orders", "empty.csv"), lambda s: b"", reason="empty (0 bytes)"),
    Case("png_named_csv", _at("pdd/pdd01/orders", "screenshot.csv"),
         lambda s: b"\x89PNG\r\n\x1a\n" + _random_bytes(2000), reason="a PNG image"),
    Case("zip_named_csv", _at("pdd/pdd01/orders", "archive.csv"),
         lambda s: _zip({"订单.csv": _pdd(s)}), reason="cannot read as a spreadsheet"),
    Case("html_error_page", _at("pdd/pdd01/orders", "login.csv"),
         lambda s: "<!DOCTYPE html>\n<html><head><title>登录 - 拼多多商家后台</title></head><body>请重新登录</body></html>\n"
         .encode(), reason="an HTML page"),
    Case("random_binary", _at("pdd/pdd01/orders", "random.csv"), lambda s: _random_bytes(5000),
         reason="cannot decode as UTF-8, GBK or GB18030"),
    Case("utf16_unicode_text", _at("pdd/pdd01/orders", "unicode.txt"),
         lambda s: "\ufeff".encode("utf-16-le") + _pdd(s).decode().replace(",", "\t").encode("utf-16-le"),
         reason="UTF-16 text"),
    Case("nul_bytes_in_body", _at("pdd/pdd01/orders", "nul_body.csv"),
         lambda s: _with_cell(_pdd(s), 4, 1, b"\x00\x00"), reason="NUL bytes", row=5),
    # --- truncated downloads ----------------------------------------------------------------------
    Case("cut_mid_row", _at("pdd/pdd01/orders", "cut_row.csv"), lambda s: _cut_after(_pdd(s), b",SKU-"),
         reason="fields where the header has 27; the file ends mid-row"),
    Case("cut_mid_character", _at("pdd/pdd01/orders", "cut_char.csv"),
         lambda s: _cut_after(_pdd(s), "省".encode()[:2]), reason="the file ends mid-row"),
    Case("cut_mid_quoted_cell", _at("pdd/pdd01/orders", "cut_quote.csv"),
         _cut_in_quoted_cell,
         reason="never closed; the file ends mid-row", row=4),
    # --- damaged rows and odd text ----------------------------------------------------------------
    Case("stray_quote_opens_a_cell", _at("pdd/pdd01/orders", "stray_quote.csv"),
         lambda s: _with_cell(_pdd(s), 3, _pdd_at(s, "商品"), '"拾光 补水'.encode()),
         reason="fields where the header has 27", row=4),  # the stray quote runs on to the next quote
    Case("gbk_file_with_a_utf8_row", _at("taobao/tb01/orders", "mixed_gbk.csv"),
         lambda s: _mixed(s(TAOBAO_ORDERS), row=2, good="gbk", bad="utf-8"),
         reason="cannot decode as UTF-8, GBK or GB18030", row=3),
    Case("utf8_file_with_a_gbk_row", _at("pdd/pdd01/orders", "mixed_utf8.csv"),
         lambda s: _mixed(_pdd(s), row=3, good="utf-8", bad="gbk"), reason="the rows before it are UTF-8", row=4),
    Case("row_of_5000_fields", _at("pdd/pdd01/orders", "wide_row.csv"),
         lambda s: _with_cell(_pdd(s), 2, 26, b"," * (5000 - 27)), reason="5000 fields where the header has 27", row=3),
    Case("header_of_17000_columns", _at("pdd/pdd01/orders", "too_wide.csv"),
         lambda s: _widen(_pdd(s), 16_384 - 27 + 1),
         reason="16,385 columns, more than the 16,384"),
    Case("duplicate_header_with_other_values", _at("pdd/pdd01/orders", "two_order_ids.csv"),
         lambda s: _append_column(_pdd(s), "订单号", lambda i: f"X{i}"), reason="header 订单号 appears twice (columns 1 and 28)"),
    Case("two_exports_pasted_together", _at("pdd/pdd01/orders", "pasted.csv"),
         lambda s: _pdd(s) + s("pdd/pdd01/orders/订单列表_20261002.csv"), reason="the header row again",
         row=lambda s: _data_rows(_pdd(s)) + 2),
    Case("excel_scientific_ids", _at("taobao/tb01/orders", "sci_ids.csv"),
         lambda s: _with_cell(s(TAOBAO_ORDERS), 1, _taobao_at(s, "主订单编号"), b"3.5996E+18"), reason="scientific notation", row=2),
    Case("personal_value_is_not_quoted", _at("taobao/tb01/orders", "sci_phone.csv"),
         lambda s: _with_cell(s(TAOBAO_ORDERS), 2, _taobao_at(s, "联系手机"), b"1.30118E+10"), reason="not shown: personal data", row=3),
    Case("unreadable_amount", _at("pdd/pdd01/orders", "amount.csv"),
         lambda s: _with_cell(_pdd(s), 1, _pdd_at(s, "用户实付金额(元)"), "12，3x".encode()),
         reason="cannot read '12，3x' as amount (line_paid_amount)", row=2),
    Case("missing_required_column", _at("pdd/pdd01/orders", "no_status.csv"),
         lambda s: _without_column(_pdd(s), "订单状态"), reason="missing required column 订单状态 (status)"),
    Case("missing_column_a_derivation_needs", _at("pdd/pdd01/orders", "no_goods_total.csv"),
         lambda s: _without_column(_pdd(s), "商品总价(元)"), reason="needed to derive unit_price"),
    Case("no_header_row", _at("pdd/pdd01/orders", "other_report.csv"),
         lambda s: "日期,访客,备注\n2026-10-01,12,无\n".encode(), reason="no header row in the first 30 rows"),
    # --- workbooks --------------------------------------------------------------------------------
    Case("truncated_xlsx", _at("tmall/tm01/orders", "truncated.xlsx"),
         lambda s: s(TMALL_ORDERS)[: len(s(TMALL_ORDERS)) // 2], reason="cannot read as a spreadsheet"),
    Case("legacy_xls_damaged", _at("tmall/tm01/orders", "old.xls"),
         lambda s: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + _random_bytes(3000), reason="cannot read as a spreadsheet"),
    Case("xlsx_without_the_export", _at("tmall/tm01/orders", "summary.xlsx"),
         lambda s: _xlsx({"说明": [["本表为汇总"]], "汇总": [["日期", "金额"], ["2026-10-01", 1]]}),
         reason="(in any of its 2 sheets)"),
    # --- where the file lies, and what the name says ----------------------------------------------
    Case("wrong_folder", f"pdd/pdd01/{CORPUS_PREFIX}订单.csv", _pdd, reason="not an export location"),
    Case("unknown_kind", f"pdd/pdd01/returns/{CORPUS_PREFIX}x.csv", _pdd, reason="unknown export kind 'returns'"),
    Case("unregistered_shop", f"pdd/pdd99/orders/{CORPUS_PREFIX}x.csv", _pdd, reason="shop 'pdd99' is not registered"),
    Case("shop_of_another_platform", f"jd/pdd01/orders/{CORPUS_PREFIX}x.csv", _pdd, reason="registered as a pdd shop"),
    Case("unfinished_download", _at("pdd/pdd01/orders", "订单列表.csv.crdownload"),
         lambda s: _pdd(s)[:5000], reason="unfinished browser download"),
    Case("excel_lock_file", f"tmall/tm01/orders/~${CORPUS_PREFIX}订单报表.xlsx", lambda s: _excel_lock_file(),
         reason="Office lock file"),
    Case("unsupported_type", _at("pdd/pdd01/orders", "订单.json"), lambda s: b'{"orders": []}',
         reason="unsupported file type '.json'"),
    # --- odd, but real exports: they load ---------------------------------------------------------
    Case("header_only_export", _at("pdd/pdd01/refunds", "no_refunds_today.csv"),
         lambda s: lines(s(PDD_REFUNDS))[0] + _newline(s(PDD_REFUNDS)), rows=0),
    Case("lf_line_breaks", _at("pdd/pdd01/orders", "lf.csv"),  # the platform writes CRLF
         lambda s: _pdd(s).replace(b"\r\n", b"\n"), same_rows_as=PDD_ORDERS),
    Case("cr_only_line_breaks", _at("pdd/pdd01/orders", "cr.csv"),
         lambda s: _pdd(s).replace(b"\r\n", b"\r"), same_rows_as=PDD_ORDERS),
    Case("csv_named_xlsx", _at("pdd/pdd01/orders", "really_csv.xlsx"),  # a blank last line: not a byte-equal copy
         lambda s: _pdd(s) + b"\r\n", same_rows_as=PDD_ORDERS),
    Case("xlsx_data_on_second_sheet", _at("tmall/tm01/orders", "second_sheet.xlsx"),
         lambda s: _xlsx({"说明": [["导出说明：金额单位为元"]], "订单": _tmall_rows(s)}), same_rows_as=TMALL_ORDERS),
    Case("trailing_separators", _at("pdd/pdd01/orders", "padded.csv"),
         lambda s: _joined([line + b",,," if line else line for line in lines(_pdd(s))], _pdd(s)),
         same_rows_as=PDD_ORDERS),
    Case("utf8_bom_added", _at("pdd/pdd01/orders", "bom.csv"), lambda s: b"\xef\xbb\xbf" + _pdd(s),
         same_rows_as=PDD_ORDERS),
    Case("no_final_line_break", _at("pdd/pdd01/orders", "no_final_break.csv"), lambda s: _pdd(s).rstrip(b"\r\n"),
         same_rows_as=PDD_ORDERS),
    Case("blank_header_with_values", _at("pdd/pdd01/orders", "blank_header.csv"),
         lambda s: _append_column(_pdd(s), "", lambda i: f"备注{i}"), rows=lambda s: _data_rows(_pdd(s)),
         expect=lambda t: '"column #28":"备注1"' in t["_extra"][0].as_py(), end_to_end=False),
    Case("duplicate_header_same_values", _at("pdd/pdd01/orders", "same_twice.csv"),
         lambda s: _append_column(_pdd(s), "订单号", None), same_rows_as=PDD_ORDERS, end_to_end=False),
    Case("bare_quote_inside_a_cell", _at("pdd/pdd01/orders", "inch.csv"),
         lambda s: _with_cell(_pdd(s), 2, _pdd_at(s, "商品规格"), b'15.6" screen'), rows=lambda s: _data_rows(_pdd(s)),
         expect=lambda t: t["sku_spec"][1].as_py() == '15.6" screen', end_to_end=False),
    Case("header_of_5000_columns", _at("pdd/pdd01/orders", "wide_header.csv"), lambda s: _widen(_pdd(s), 5000 - 27),
         same_rows_as=PDD_ORDERS, end_to_end=False),
    Case("gbk_export_of_4_mb", _at("taobao/tb01/orders", "big_gbk.csv"),
         lambda s: _repeat_rows(s(TAOBAO_ORDERS), 90, "gbk"), rows=lambda s: 90 * _data_rows(s(TAOBAO_ORDERS)),
         end_to_end=False),
    Case("utf8_export_of_3_mb", _at("pdd/pdd01/orders", "big_utf8.csv"),
         lambda s: _repeat_rows(_pdd(s), 90, "utf-8"), rows=lambda s: 90 * _data_rows(_pdd(s)), end_to_end=False),
    Case("broken_row_past_the_first_mib", _at("pdd/pdd01/orders", "big_broken.csv"),
         lambda s: _broken_last_row(_repeat_rows(_pdd(s), 40, "utf-8")), reason="fields where the header has 27",
         row=lambda s: 40 * _data_rows(_pdd(s)) + 1, end_to_end=False),
    Case("row_over_16_mib", _at("pdd/pdd01/orders", "huge_row.csv"),
         lambda s: _with_cell(_pdd(s), 1, _pdd_at(s, "商家备注"), b"x" * (17 << 20)), reason="a row longer than 16 MiB", row=2,
         end_to_end=False),
]


def _broken_last_row(data: bytes) -> bytes:
    """The last row loses a cell and gets a byte that is no UTF-8 (pyarrow cannot even quote it)."""
    rows = lines(data)
    last = max(i for i, line in enumerate(rows) if line)
    cells = _cells(rows[last])
    rows[last] = b",".join(cells[:-2] + [cells[-2] + b"\xe8"])
    return _joined(rows, data)


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _mixed(data: bytes, row: int, good: str, bad: str) -> bytes:
    """One row (0-based, 0 = header) re-encoded in another encoding, with a character that cannot pass for `good`."""
    rows = lines(data)
    rows[row] = (rows[row].decode(good) + "一").encode(bad)
    return _joined(rows, data)


def _append_column(data: bytes, header: str, value: Callable[[int], str] | None) -> bytes:
    """A last column named `header`: value(i) in row i, or (no `value`) a copy of the column `header` names."""
    rows = lines(data)
    copied = _header_position(data, header) if value is None else None
    out = []
    for i, line in enumerate(rows):
        if line:
            cell = header.encode() if i == 0 else _cells(line)[copied] if value is None else value(i).encode()
            line = line + b"," + cell
        out.append(line)
    return _joined(out, data)
