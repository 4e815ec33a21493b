"""Render rows through a layout and write them as the platforms do: CSV or XLSX.

CSV is written by hand rather than with the csv module because real exports
are not RFC 4180: ``="123"`` appears unquoted.  A field is quoted only when
it contains a comma, a line break or starts with a quote.  XLSX is written
as SpreadsheetML by ``xlsx.write_sheet`` with a fixed creation date (also
the zip timestamps), so the bytes are reproducible.
Every file's mtime is set to the end of its export day.

Rendering, encoding and XLSX packaging, about half of the generation time,
can run in worker processes: the simulation hands each file's rows over as
plain values.  Each file is written by the same function from the same rows,
so the bytes do not depend on the number of workers.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter, deque
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable, Mapping

from .catalog import DAY_SECONDS, date_of
from .layouts import FIELD_KINDS, Layout
from .xlsx import write_sheet

Row = Mapping[str, object]


@lru_cache(maxsize=4096)
def _date_text(day: int) -> str:
    return date_of(day).isoformat()


def _iso_time(t: int) -> str:
    seconds = t % DAY_SECONDS
    return f"{_date_text(t // DAY_SECONDS)} {seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _slash_time(t: int) -> str:
    d = date_of(t // DAY_SECONDS)
    seconds = t % DAY_SECONDS
    return f"{d.year}/{d.month}/{d.day} {seconds // 3600}:{seconds // 60 % 60:02d}"


def _yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def _yuan_thousands(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100:,}.{fen % 100:02d}"


def _clock(seconds: float) -> str:
    s = round(seconds)
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"


_TEXT_FORMATTERS: dict[tuple[str, str], Callable[[object], str]] = {
    ("id", "plain"): str,
    ("id", "formula"): lambda v: f'="{v}"',
    ("id", "tab"): lambda v: f"\t{v}",
    ("id", "apostrophe"): lambda v: f"'{v}",
    ("money", "plain"): _yuan,
    ("money", "thousands"): _yuan_thousands,
    ("money", "yen"): lambda v: "¥" + _yuan(v),
    ("money", "fullwidth_yen"): lambda v: "￥" + _yuan(v),
    ("money", "fen"): str,
    ("count", "plain"): str,
    ("count", "thousands"): lambda v: f"{v:,}",
    ("time", "iso"): _iso_time,
    ("time", "slash"): _slash_time,
    ("stay", "seconds"): lambda v: f"{v:.1f}",
    ("stay", "clock"): _clock,
    ("date", ""): lambda v: _date_text(v),
    ("percent", ""): lambda v: f"{v * 100:.2f}%",
    ("ratio", ""): lambda v: f"{v:.2f}",
    ("text", ""): str,
}
# XLSX cells: plain numbers are written as numbers (money in yuan); styled values as text
_XLSX_FORMATTERS: dict[tuple[str, str], Callable[[object], object]] = {
    ("id", "plain"): str,
    ("money", "plain"): lambda v: v / 100,
    ("money", "fen"): int,
    ("count", "plain"): int,
    ("stay", "seconds"): lambda v: round(v, 1),
}


def _formatter(layout: Layout, kind: str) -> Callable[[object], object]:
    style = {"id": layout.ids, "money": layout.money, "count": layout.counts, "time": layout.times,
             "stay": layout.stay}.get(kind, "")
    if layout.fmt == "xlsx" and (kind, style) in _XLSX_FORMATTERS:
        return _XLSX_FORMATTERS[(kind, style)]
    return _TEXT_FORMATTERS[(kind, style)]


@lru_cache(maxsize=None)
def _renderers(layout: Layout) -> tuple[tuple[str, Callable[[object], object], str], ...]:
    return tuple((name, _formatter(layout, FIELD_KINDS.get(name, "text")), layout.nulls.get(name, ""))
                 for _, name in layout.columns)


def render(layout: Layout, row: Row) -> list[object]:
    """One row as cell values: missing values become the layout's null token."""
    return [null if (value := row.get(name)) is None or value == "" else fmt(value)
            for name, fmt, null in _renderers(layout)]


def _csv_line(cells: Iterable[str]) -> str:
    return ",".join(['"' + c.replace('"', '""') + '"' if "," in c or "\n" in c or c[:1] == '"' else c
                     for c in cells])


def _write_csv(path: Path, headers: list[str], encoding: str, title: list[str],
               cells: list[list[object]]) -> None:
    lines = [*title, ""] if title else []
    lines.append(_csv_line(headers))
    lines.extend(_csv_line(row) for row in cells)  # CSV formatters all return str
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))


def _write_xlsx(path: Path, headers: list[str], title: list[str], cells: list[list[object]],
                created: datetime) -> None:
    grid: list[list[object]] = [[line] for line in title] + ([[]] if title else [])  # a blank line under the title
    write_sheet(path, [*grid, headers, *cells], created, author="ecomops demo")


def _write_file(path: Path, layout: Layout, title: list[str], rows: list[Row], mtime: int) -> None:
    """Render and write one export and stamp its mtime; runs in a worker when there are workers."""
    cells = [render(layout, row) for row in rows]
    if layout.fmt == "xlsx":
        created = datetime.fromtimestamp(mtime, tz=timezone.utc).replace(tzinfo=None)
        _write_xlsx(path, layout.headers, title, cells, created)
    else:
        _write_csv(path, layout.headers, layout.encoding, title, cells)
    os.utime(path, (mtime, mtime))


class LandingWriter:
    """Writes files under the landing root and counts them per platform/kind.

    With ``workers`` > 1 files are written by a process pool; at most
    ``MAX_PENDING`` rendered files wait in memory.  Use it as a context manager
    so that every file is on disk (and every error raised) when it exits.
    """

    MAX_PENDING = 64

    def __init__(self, root: Path, workers: int = 1):
        self.root = root
        self.files: Counter[str] = Counter()
        self._pool = ProcessPoolExecutor(workers) if workers > 1 else None
        self._pending: deque[tuple[Path, Future]] = deque()

    def __enter__(self) -> LandingWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            if exc_info[0] is None:
                self._drain(0)
        finally:
            if self._pool is not None:
                self._pool.shutdown(cancel_futures=True)

    def write(self, folder: tuple[str, ...], layout: Layout, names: Mapping[str, str], rows: Iterable[Row],
              day: int, title_values: Mapping[str, str] | None = None, mtime_offset: int = 0) -> Path:
        """Write one export of ``day``; ``folder`` is (platform, shop, kind) or ("erp", kind)."""
        directory = self.root.joinpath(*folder)
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{layout.name.format(**names)}.{layout.fmt}"
        title = [line.format(**(title_values or {})) for line in layout.title]
        end_of_day = (day + 1) * DAY_SECONDS - 60 + mtime_offset
        job = (path, layout, title, list(rows), end_of_day)
        if self._pool is None:
            _write_file(*job)
        else:
            self._drain(self.MAX_PENDING - 1)
            self._pending.append((path, self._pool.submit(_write_file, *job)))
        self.files[f"{folder[0]}/{folder[-1]}"] += 1
        return path

    def redeliver(self, original: Path, suffix: str = "(1)") -> Path:
        """A seller downloads the same export twice: byte-identical copy, same mtime."""
        for path, future in self._pending:
            if path == original:
                future.result()
        copy = original.with_name(f"{original.stem}{suffix}{original.suffix}")
        shutil.copy2(original, copy)
        self.files[f"{original.parts[-4]}/{original.parts[-2]}"] += 1
        return copy

    def _drain(self, keep: int) -> None:
        """Wait for the oldest files until at most ``keep`` are pending."""
        while len(self._pending) > keep:
            self._pending.popleft()[1].result()
