"""Text exports in bounded memory: what a file really is, its encoding, its leading lines, its body as a stream.

Nothing here holds a whole large file. The header search reads a bounded
prefix; the body goes to pyarrow as a file stream (transcoded from GB18030
on the fly); the checks that need every byte (NULs, quote balance) and the
searches that name the row of a failure read fixed-size blocks. Quotes,
separators, line breaks and NUL are ASCII bytes that never occur inside a
multi-byte UTF-8 or GB18030 character, so they are found in the raw bytes.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from ingestion.rejection import RejectedFile

PREFIX_BYTES = 1 << 20  # the header search's window: title rows and the header row come first
BLOCK_BYTES = 1 << 20

# Leading bytes of files that are not text exports, whatever their name.
BINARY_SIGNATURES = {
    b"\xff\xfe": "UTF-16 text (Excel's \"Unicode Text\"), not a CSV export",
    b"\xfe\xff": "UTF-16 text, not a CSV export",
    b"\x89PNG": "a PNG image, not an export",
    b"\xff\xd8\xff": "a JPEG image, not an export",
    b"GIF8": "a GIF image, not an export",
    b"%PDF": "a PDF document, not an export",
    b"\x1f\x8b": "a gzip archive, not an export",
    b"Rar!": "a RAR archive, not an export",
    b"7z\xbc\xaf\x27\x1c": "a 7-Zip archive, not an export",
}
SAVE_AS = "save it as \"CSV UTF-8\" or XLSX"
# How a text file that is not CSV starts (lower case, after blanks): web pages saved in place of a download.
TEXT_SIGNATURES = {
    "<!doctype html": "an HTML page, not an export (a login or error page saved in place of the download?)",
    "<html": "an HTML page, not an export (a login or error page saved in place of the download?)",
    "<table": f"an HTML table, not an export: open it in Excel and {SAVE_AS}",
    "<?xml": f"an XML file, not an export: open it in Excel and {SAVE_AS}",
}
UNDECODABLE = "cannot decode as UTF-8, GBK or GB18030 text"
CUT_SHORT = "the file ends mid-row: it may be cut short (an interrupted download?)"
_QUOTE_AT_FIELD_START = re.compile(rb'[,\r\n]"')


@dataclass(frozen=True)
class BodyFacts:
    """What one pass over the body's bytes tells before pyarrow reads it."""

    nul_row: int | None  # the first row holding a NUL byte
    quotes_balanced: bool  # an even number of quote characters: no quoted cell can be left open
    ends_with_newline: bool
    may_hold_long_rows: bool  # a block without a line break: a line may be longer than pyarrow's block


@dataclass(frozen=True)
class TextExport:
    """A text export's leading lines, decoded, and where each one ends in the file's bytes."""

    path: Path
    encoding: str  # "utf-8-sig", "utf-8" or "gb18030" (which reads GBK too)
    lines: list[str]  # complete leading lines, without their line breaks
    ends: list[int]  # byte offset just after each of those lines
    newline: bytes  # b"\n" (LF and CRLF files) or b"\r" (old Mac files)
    size: int
    head: bytes  # the first PREFIX_BYTES bytes: the whole file when it is that small
    non_ascii_head: bool  # the head holds non-ASCII UTF-8 text: bytes that do not decode later are damage

    def blocks(self, start: int) -> Iterator[bytes]:
        """The file's bytes from `start` on, in blocks (from memory when the file is small)."""
        if len(self.head) == self.size:
            yield self.head[start:]
            return
        with self.path.open("rb") as handle:
            handle.seek(start)
            yield from iter(lambda: handle.read(BLOCK_BYTES), b"")

    def stream(self, start: int, encoding: str) -> pa.NativeFile:
        """The bytes from `start` on, as a UTF-8 stream for pyarrow."""
        if len(self.head) == self.size:
            raw: pa.NativeFile = pa.BufferReader(pa.py_buffer(self.head)[start:])
        else:
            raw = pa.OSFile(str(self.path))
            raw.seek(start)
        return raw if encoding.startswith("utf-8") else pa.transcoding_input_stream(raw, encoding, "utf-8")

    def scan_body(self, start: int, first_row: int) -> BodyFacts:
        row, nul_row, quotes, last, long_rows = first_row, None, 0, b"", False
        for block in self.blocks(start):
            if nul_row is None and (nul := block.find(b"\x00")) >= 0:
                nul_row = row + block.count(self.newline, 0, nul)
            quotes += block.count(b'"')
            breaks = block.count(self.newline)
            row += breaks
            long_rows = long_rows or (breaks == 0 and len(block) == BLOCK_BYTES)
            last = block[-1:] or last
        return BodyFacts(nul_row, quotes % 2 == 0, last in (b"", b"\n", b"\r"), long_rows)

    def unclosed_quote_row(self, start: int, first_row: int) -> int | None:
        """The row where a quoted cell opens that never closes (the rest of the file would become one cell)."""
        row, in_quotes, field_start, pending_quote, open_row = first_row, False, True, False, None
        for block in self.blocks(start):
            pos, size = 0, len(block)
            if pending_quote:  # the last block ended on a quote inside a quoted cell
                pending_quote = False
                if block[:1] == b'"':
                    pos = 1
                else:
                    in_quotes, field_start = False, False
            while pos < size:
                if in_quotes:
                    close = block.find(b'"', pos)
                    if close < 0:
                        break
                    if close + 1 == size:
                        pending_quote = True
                        break
                    if block[close + 1] == 0x22:  # "" is a quote inside the cell
                        pos = close + 2
                        continue
                    in_quotes, field_start, pos = False, False, close + 1
                elif field_start and block[pos] == 0x22:
                    in_quotes, open_row, pos = True, row + block.count(self.newline, 0, pos), pos + 1
                else:
                    found = _QUOTE_AT_FIELD_START.search(block, pos)
                    if found is None:
                        field_start = block[-1:] in (b",", b"\r", b"\n")
                        break
                    in_quotes, open_row, pos = True, row + block.count(self.newline, 0, found.end()), found.end()
            row += block.count(self.newline)
        return open_row if in_quotes and not pending_quote else None

    def first_undecodable_row(self, start: int, first_row: int, encoding: str) -> int | None:
        decoder, row = codecs.getincrementaldecoder(encoding.removesuffix("-sig"))(), first_row
        for block in self.blocks(start):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as error:
                return row + block.count(self.newline, 0, max(error.start, 0))
            row += block.count(self.newline)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return row
        return None

    def first_row_longer_than(self, start: int, first_row: int, limit: int) -> int | None:
        row, length = first_row, 0
        for block in self.blocks(start):
            pos = 0
            while (end := block.find(self.newline, pos)) >= 0:
                if length + end - pos > limit:
                    return row
                row, length, pos = row + 1, 0, end + 1
            length += len(block) - pos
            if length > limit:
                return row
        return None


def _split_lines(data: bytes, newline: bytes, complete: bool, limit: int) -> tuple[list[bytes], list[int]]:
    """Up to `limit` complete lines of `data` (a last line without a break only if `data` is the whole file)."""
    lines, ends, start = [], [], 0
    while len(lines) < limit and start < len(data):
        end = data.find(newline, start)
        if end < 0 and not complete:
            break
        line = data[start:] if end < 0 else data[start:end]
        lines.append(line[:-1] if newline == b"\n" and line.endswith(b"\r") else line)
        start = len(data) if end < 0 else end + len(newline)
        ends.append(start)
    return lines, ends


def _undecodable_at(data: bytes, encoding: str, final: bool) -> int | None:
    try:
        codecs.getincrementaldecoder(encoding)().decode(data, final=final)
    except UnicodeDecodeError as error:
        return error.start
    return None


def _cut_short(head: bytes, complete: bool) -> str:
    """The hint for a file that stops mid-row (known when the head is the whole file)."""
    return f"; {CUT_SHORT}" if complete and head[-1:] not in (b"\n", b"\r") else ""


def _encoding(head: bytes, bom: int, newline: bytes, complete: bool, file: str) -> str:
    """UTF-8 if the head decodes as UTF-8; else GB18030, unless earlier lines were UTF-8 text (then it is damage)."""
    error_at = _undecodable_at(head[bom:], "utf-8", final=complete)
    if error_at is None:
        return "utf-8-sig" if bom else "utf-8"
    error_at += bom
    line_start = head.rfind(newline, 0, error_at) + 1
    # A BOM says UTF-8; so does a whole line of non-ASCII UTF-8 text, which is no accident of GBK bytes.
    if bom or not head[bom:line_start].isascii():
        raise RejectedFile(file, f"{UNDECODABLE}: the rows before it are UTF-8 (mixed encodings, or a damaged file)"
                                 f"{_cut_short(head, complete)}", row=1 + head.count(newline, 0, error_at))
    return "gb18030"


def read_prefix(path: Path, file: str, max_lines: int) -> TextExport:
    """The first lines of a text export, or a RejectedFile saying what the file is instead."""
    with path.open("rb") as handle:
        head = handle.read(PREFIX_BYTES)
        size = handle.seek(0, 2)
    if not head:
        raise RejectedFile(file, "the file is empty (0 bytes): an interrupted download?")
    for signature, what in BINARY_SIGNATURES.items():
        if head.startswith(signature):
            raise RejectedFile(file, f"{what}: {SAVE_AS}")
    newline = b"\n" if b"\n" in head or b"\r" not in head else b"\r"
    if (nul := head.find(b"\x00")) >= 0:
        raise RejectedFile(file, "NUL bytes: a damaged file, or not a text export", row=1 + head.count(newline, 0, nul))
    complete = len(head) == size
    bom = len(codecs.BOM_UTF8) if head.startswith(codecs.BOM_UTF8) else 0
    encoding = _encoding(head, bom, newline, complete, file)
    raw_lines, ends = _split_lines(head[bom:], newline, complete, max_lines)
    lines = []
    for number, line in enumerate(raw_lines, start=1):
        try:
            lines.append(line.decode(encoding.removesuffix("-sig")))
        except UnicodeDecodeError:
            raise RejectedFile(file, UNDECODABLE + _cut_short(head, complete), row=number) from None
    first = next((line.strip().lower() for line in lines if line.strip()), "")
    for start, what in TEXT_SIGNATURES.items():
        if first.startswith(start):
            raise RejectedFile(file, what)
    return TextExport(path, encoding, lines, [bom + end for end in ends], newline, size, head,
                      non_ascii_head=encoding != "gb18030" and not head.isascii())


def split_csv_line(line: str) -> list[str]:
    """One CSV line's cells (quotes and doubled quotes as in RFC 4180), with no limit on a cell's size."""
    if '"' not in line:
        return line.split(",")
    cells, cell, quoted, pos = [], [], False, 0
    while pos < len(line):
        char = line[pos]
        if quoted:
            if char == '"' and line.startswith('""', pos):
                cell.append('"')
                pos += 1
            elif char == '"':
                quoted = False
            else:
                cell.append(char)
        elif char == '"' and not cell:
            quoted = True
        elif char == ",":
            cells.append("".join(cell))
            cell = []
        else:
            cell.append(char)
        pos += 1
    cells.append("".join(cell))
    return cells
