"""A query's result as files a seller opens: CSV (UTF-8 with a byte order mark, for Excel) and XLSX."""

from __future__ import annotations

import datetime as dt
import io
import math

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv
import xlsxwriter

UTF8_BOM = b"\xef\xbb\xbf"  # without it, Excel on a Chinese Windows reads UTF-8 as GBK
# Text Excel would run as a formula (OWASP "CSV injection"): shop names and item titles come from exports.
FORMULA_START = r"^[=+\-@\t\r]"


def to_csv(table: pa.Table) -> bytes:
    """The table as CSV; a text cell that would start a formula is prefixed with an apostrophe."""
    buffer = io.BytesIO()
    buffer.write(UTF8_BOM)
    pyarrow.csv.write_csv(_defuse_formulas(table), buffer)
    return buffer.getvalue()


def _defuse_formulas(table: pa.Table) -> pa.Table:
    for index, field in enumerate(table.schema):
        if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
            column = table.column(index)
            defused = pc.if_else(pc.match_substring_regex(column, FORMULA_START),
                                 pc.binary_join_element_wise("'", column, ""), column)
            table = table.set_column(index, field, defused)
    return table


def to_xlsx(table: pa.Table, sheet_name: str = "query") -> bytes:
    """One sheet, a header row of the column names, then the rows: text is written as text, never as a formula."""
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer, {"in_memory": True}) as book:
        sheet = book.add_worksheet(sheet_name)
        header, dates = book.add_format({"bold": True}), book.add_format({"num_format": "yyyy-mm-dd"})
        timestamps = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        sheet.write_row(0, 0, table.column_names, header)
        sheet.freeze_panes(1, 0)
        for column, values in enumerate(table.columns):
            sheet.set_column(column, column, max(12, len(table.column_names[column]) + 2))
            for row, value in enumerate(values.to_pylist(), start=1):
                if value is None or (isinstance(value, float) and not math.isfinite(value)):
                    continue  # an empty cell, as a null shows in the table
                if isinstance(value, bool):
                    sheet.write_boolean(row, column, value)
                elif isinstance(value, (int, float)):
                    sheet.write_number(row, column, value)
                elif isinstance(value, dt.datetime):
                    sheet.write_datetime(row, column, value, timestamps)
                elif isinstance(value, dt.date):
                    sheet.write_datetime(row, column, value, dates)
                else:
                    sheet.write_string(row, column, str(value))
    return buffer.getvalue()
