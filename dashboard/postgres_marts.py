"""On Postgres, the dashboard's data source: the marts themselves, read as the reader role, never a copy.

The same interface as `dashboard.serving_copy.ServingCopy` (rows, query, columns, derived, published_at), over
a small pool of connections. Every query runs in a read-only transaction that is rolled back as soon as its
rows are fetched, so the dashboard never holds a lock on a mart between requests: a run's swap of a rebuilt
table waits at most for the queries running at that moment (the role's statement timeout bounds them).
Queries are written with `?` placeholders, as for DuckDB; they become psycopg2's `%s` here.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import psycopg2
import psycopg2.errors
import psycopg2.pool

from dashboard.serving_copy import ServingCopyMissing, json_value

T = TypeVar("T")
POOL_SIZE = 4
# What changes when a run rebuilds the marts: the KPI table's identity and its newest build.
PUBLICATION_SQL = ("select to_regclass('marts.kpi_shop_daily')::oid::bigint, "
                   "(select max(_built_at) from marts.kpi_shop_daily)")
_STRING_OR_PLACEHOLDER = re.compile(r"'(?:[^']|'')*'|\?|%")


class WarehouseUnavailable(RuntimeError):
    """The Postgres server cannot be reached, or cut the query (the reader role's statement timeout): 503."""


def postgres_placeholders(query: str) -> str:
    """A query written for DuckDB's `?` placeholders, for psycopg2: `?` becomes %s and a literal % becomes %%."""
    return _STRING_OR_PLACEHOLDER.sub(
        lambda match: "%s" if match[0] == "?" else match[0].replace("%", "%%"), query)


@dataclass(frozen=True)
class Publication:
    identity: tuple
    published_at: dt.datetime
    derived: dict = field(default_factory=dict)


class PostgresMarts:
    """The marts and alerts of a Postgres warehouse as the reader role sees them (`url`: that role's login)."""

    dialect = "postgres"

    def __init__(self, url: str, pool_size: int = POOL_SIZE):
        self._url = url
        self._pool_size = pool_size
        self._pool: psycopg2.pool.ThreadedConnectionPool | None = None
        self._slots = threading.BoundedSemaphore(pool_size)  # the pool raises when empty; requests wait here
        self._lock = threading.Lock()
        self._current: Publication | None = None

    def _connections(self) -> psycopg2.pool.ThreadedConnectionPool:
        with self._lock:
            if self._pool is None:  # opened on first use: the app starts while the server is still down
                try:
                    # minconn = maxconn: psycopg2's pool closes every connection given back above minconn.
                    self._pool = psycopg2.pool.ThreadedConnectionPool(self._pool_size, self._pool_size, self._url)
                except psycopg2.OperationalError as error:
                    raise WarehouseUnavailable(f"cannot reach the Postgres warehouse: {error}".strip()) from None
            return self._pool

    def query(self, run: Callable[[psycopg2.extensions.connection], T]) -> T:
        """`run(connection)` inside a read-only transaction, rolled back afterwards whatever `run` did."""
        with self._slots:
            pool = self._connections()
            try:
                connection = pool.getconn()
            except psycopg2.OperationalError as error:
                raise WarehouseUnavailable(f"cannot reach the Postgres warehouse: {error}".strip()) from None
            broken = False
            try:
                connection.set_session(readonly=True, autocommit=False)
                return run(connection)
            except psycopg2.errors.UndefinedTable as error:
                raise ServingCopyMissing(f"the warehouse has no marts yet: run `ecomops run` ({error})".strip()) from None
            except psycopg2.errors.QueryCanceled:
                raise WarehouseUnavailable("the query ran longer than the reader role's statement timeout") from None
            except (psycopg2.OperationalError, psycopg2.InterfaceError) as error:
                broken = True
                raise WarehouseUnavailable(f"lost the connection to the Postgres warehouse: {error}".strip()) from None
            finally:
                if not broken and not connection.closed:
                    connection.rollback()
                pool.putconn(connection, close=broken or bool(connection.closed))

    def rows(self, sql: str, parameters: Sequence | dict | None = None) -> list[dict]:
        """The rows of a query as JSON-ready dicts (dates as ISO strings, decimals as floats)."""
        def fetch(connection) -> list[dict]:
            with connection.cursor() as cursor:
                cursor.execute(postgres_placeholders(sql), list(parameters or []))
                names = [column.name for column in cursor.description]
                return [dict(zip(names, map(json_value, row))) for row in cursor.fetchall()]

        return self.query(fetch)

    def columns(self, schema: str, table: str) -> list[str]:
        return [row["column_name"] for row in self.rows(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
            "order by ordinal_position", [schema, table])]

    def _publication(self) -> Publication:
        """The marts as last built: a new identity when a run rebuilt or extended the KPI table."""
        def identity(connection) -> tuple:
            with connection.cursor() as cursor:
                cursor.execute(PUBLICATION_SQL)
                return cursor.fetchone()

        oid, built_at = self.query(identity)
        if oid is None:
            raise ServingCopyMissing("the warehouse has no marts yet: run `ecomops run`")
        with self._lock:
            if self._current is None or self._current.identity != (oid, built_at):
                if built_at is None:  # an empty table: no build time to show
                    published_at = dt.datetime.now(dt.timezone.utc)
                else:
                    published_at = built_at if built_at.tzinfo else built_at.replace(tzinfo=dt.timezone.utc)
                self._current = Publication((oid, built_at), published_at)
            return self._current

    @property
    def published_at(self) -> dt.datetime:
        """When the KPI table was last built: readers see each model as soon as dbt commits it."""
        return self._publication().published_at

    def derived(self, name: str, compute: Callable[[PostgresMarts], object]):
        """`compute(self)` once per build of the marts: the shops, the last day of data."""
        publication = self._publication()
        if name not in publication.derived:
            publication.derived[name] = compute(self)
        return publication.derived[name]
