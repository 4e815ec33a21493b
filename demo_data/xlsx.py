"""One-sheet XLSX files written straight as SpreadsheetML: inline strings and numbers, no styles.

XlsxWriter took over half of the generation time of a year's landing (its per-cell bookkeeping, in
constant_memory mode); the exports need only a grid of strings and numbers, which this writes as
XlsxWriter's constant_memory mode does (inline strings, the same number format), a row per string
join. The zip entries carry the workbook's creation date, so the bytes are reproducible.
"""

from __future__ import annotations

import re
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Sequence

_NAMESPACES = ('xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
               'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')
_HEADER = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_RELATIONSHIP = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CONTENT_TYPES = _HEADER + (
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/docProps/app.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
    '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
_ROOT_RELS = _HEADER + (
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_RELATIONSHIP}/officeDocument" Target="xl/workbook.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/'
    'core-properties" Target="docProps/core.xml"/>'
    f'<Relationship Id="rId3" Type="{_RELATIONSHIP}/extended-properties" Target="docProps/app.xml"/></Relationships>')
_WORKBOOK = _HEADER + (
    f'<workbook {_NAMESPACES}><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WORKBOOK_RELS = _HEADER + (
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_RELATIONSHIP}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_RELATIONSHIP}/styles" Target="styles.xml"/></Relationships>')
_STYLES = _HEADER + (
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '</fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')
_APP = _HEADER + (
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    '<Application>Microsoft Excel</Application></Properties>')

_MARKUP = re.compile(r"[&<>\x00-\x08\x0b-\x1f]")
_EDGE_SPACE = re.compile(r"^\s|\s$")


_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def _escaped(match: re.Match) -> str:
    char = match.group()
    return _ENTITIES.get(char) or f"_x{ord(char):04X}_"  # control characters as Excel spells them


def _column_letters(count: int) -> list[str]:
    letters = []
    for index in range(count):
        name, number = "", index + 1
        while number:
            number, rest = divmod(number - 1, 26)
            name = chr(65 + rest) + name
        letters.append(name)
    return letters


def _cell(reference: str, value: object) -> str:
    if isinstance(value, str):
        text = _MARKUP.sub(_escaped, value)
        space = ' xml:space="preserve"' if _EDGE_SPACE.search(text) else ""
        return f'<c r="{reference}" t="inlineStr"><is><t{space}>{text}</t></is></c>'
    return f'<c r="{reference}"><v>{value:.16G}</v></c>'


def write_sheet(path: Path, rows: Sequence[Sequence[object]], created: datetime, author: str) -> None:
    """A workbook of one sheet, `Sheet1`, holding `rows`: strings as inline strings, numbers as numbers.
    Empty strings and None leave their cell out."""
    width = max((len(row) for row in rows), default=1)
    columns = _column_letters(width)
    lines = []
    for number, row in enumerate(rows, start=1):
        cells = "".join(_cell(f"{columns[c]}{number}", value) for c, value in enumerate(row)
                        if value is not None and value != "")
        lines.append(f'<row r="{number}">{cells}</row>')
    dimension = f"A1:{columns[width - 1]}{max(len(rows), 1)}"
    sheet = (f'{_HEADER}<worksheet {_NAMESPACES}><dimension ref="{dimension}"/><sheetData>{"".join(lines)}'
             f'</sheetData></worksheet>')
    stamp = f"{created:%Y-%m-%dT%H:%M:%SZ}"
    core = _HEADER + (
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f'<dc:creator>{author}</dc:creator><cp:lastModifiedBy>{author}</cp:lastModifiedBy>'
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified></cp:coreProperties>')
    parts = {"[Content_Types].xml": _CONTENT_TYPES, "_rels/.rels": _ROOT_RELS,
             "xl/_rels/workbook.xml.rels": _WORKBOOK_RELS, "xl/worksheets/sheet1.xml": sheet,
             "xl/workbook.xml": _WORKBOOK, "xl/styles.xml": _STYLES, "docProps/core.xml": core, "docProps/app.xml": _APP}
    zip_time = (max(created.year, 1980), created.month, created.day, created.hour, created.minute, created.second)
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in parts.items():
            entry = zipfile.ZipInfo(name, date_time=zip_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, text.encode("utf-8"), compresslevel=6)
