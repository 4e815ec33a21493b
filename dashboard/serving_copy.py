"""The dashboard's only data source: the published serving copy, opened read-only, reopened when republished.

The publisher renames a new file over the serving copy (serving/publish.py). A connection already open
keeps reading the old file; the next request that sees a new inode or mtime opens the new one. The copy
is ATTACHed to a fresh in-memory database per publication: DuckDB caches database instances by path, so
connecting to the same path again could hand back the old file. Each request reads through its own
cursor (DuckDB 2.0: an unfinished result blocks its connection).
"""

from __future__ import annotations

import datetime as dt
import decimal
import os
import threading
from collections.abc import Sequence
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import duckdb

from dashboard.result_cache import ResultCache

CATALOG = "serving"
T = TypeVar("T")


class ServingCopyMissing(RuntimeError):
    """No serving copy is published yet: a run publishes it (`ecomops run`)."""


@dataclass(frozen=True)
class Publication:
    """One published file, as this process opened it, and what was derived from it (it never changes)."""

    identity: tuple[int, int, int]  # inode, mtime (ns), size
    connection: duckdb.DuckDBPyConnection
    published_at: dt.datetime
    derived: dict = field(default_factory=dict)


class ServingCopy:
    dialect = "duckdb"  # of the SQL it runs (the semantic layer compiles for it)

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._current: Publication | None = None

    def _publication(self) -> Publication:
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            raise ServingCopyMissing(f"no serving copy at {self.path}: run `ecomops run` to publish one") from None
        identity = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if self._current is None or self._current.identity != identity:
                connection = duckdb.connect(":memory:")
                connection.execute(f"attach '{self.path}' as {CATALOG} (read_only)")
                # The old publication is dropped, not closed: requests still reading it finish on the old file.
                self._current = Publication(identity, connection,
                                            dt.datetime.fromtimestamp(stat.st_mtime, dt.timezone.utc))
            return self._current

    @property
    def published_at(self) -> dt.datetime:
        return self._publication().published_at

    def derived(self, name: str, compute: Callable[[ServingCopy], object]):
        """`compute(self)` once per publication: the shops, the last day of data."""
        publication = self._publication()
        if name not in publication.derived:
            publication.derived[name] = compute(self)
        return publication.derived[name]

    def rows(self, sql: str, parameters: Sequence | dict | None = None) -> list[dict]:
        """The rows of a query as JSON-ready dicts (dates as ISO strings, decimals as floats), cached per copy."""
        def fetch(cursor: duckdb.DuckDBPyConnection) -> list[dict]:
            result = cursor.execute(sql, parameters or [])
            names = [column[0] for column in result.description]
            return [dict(zip(names, map(json_value, row))) for row in result.fetchall()]

        return self.derived("results", lambda _: ResultCache()).rows(sql, parameters, lambda: self.query(fetch))

    def query(self, run: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """`run(cursor)` on the copy (its catalog in use, read-only): for readers that write their own queries."""
        cursor = self._publication().connection.cursor()
        try:
            cursor.execute(f"use {CATALOG}")
            return run(cursor)
        finally:
            cursor.close()

    def columns(self, schema: str, table: str) -> list[str]:
        return [row["column_name"] for row in self.rows(
            "select column_name from information_schema.columns where table_catalog = ? and table_schema = ? "
            "and table_name = ? order by ordinal_position", [CATALOG, schema, table])]


def json_value(value):
    """A value as JSON carries it: decimals as floats (whole ones as integers: Postgres sums integers into
    numerics), dates as ISO strings."""
    if isinstance(value, decimal.Decimal):
        return int(value) if value.is_finite() and value.as_tuple().exponent >= 0 else float(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value
