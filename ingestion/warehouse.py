"""Connections to the warehouse, DuckDB file or Postgres database, with one small interface for the stages' SQL.

The gates, the alerts and the run summary read and write the warehouse through `WarehouseConnection`:
statements with `?` parameters, results as rows or Arrow tables, whatever the target. The SQL they send
is spelt so both engines run it (no `group by all`, intervals as `interval '7 day'`); what only one
engine has stays behind `dialect`. `connect_warehouse(paths)` opens the settings' warehouse;
`as_warehouse_connection` wraps a DuckDB connection a caller opened itself (tests, the serving copy).
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import duckdb
import psycopg2
import pyarrow as pa

from ecomops.settings import WarehousePaths
from ingestion.pipeline import postgres_credentials

# Postgres type OIDs (pg_type) -> the Arrow type DuckDB gives the same SQL type; numeric is decided per column.
_ARROW_BY_OID = {
    16: pa.bool_(), 20: pa.int64(), 21: pa.int64(), 23: pa.int64(), 700: pa.float64(), 701: pa.float64(),
    25: pa.string(), 1042: pa.string(), 1043: pa.string(), 1082: pa.date32(), 1114: pa.timestamp("us"),
    1184: pa.timestamp("us", tz="UTC"),
}
NUMERIC_OID = 1700
WAREHOUSE_ERRORS = (duckdb.Error, psycopg2.Error)  # what a failed statement raises, on either engine


class WarehouseConnection:
    """One open connection to the warehouse. `dialect`: 'duckdb' or 'postgres'."""

    dialect: str
    read_only: bool

    def rows(self, sql: str, params: Sequence = ()) -> list[tuple]:
        raise NotImplementedError

    def execute(self, sql: str, params: Sequence = ()) -> None:
        raise NotImplementedError

    def arrow(self, sql: str, params: Sequence = ()) -> pa.Table:
        raise NotImplementedError

    def batches(self, sql: str, batch_rows: int) -> Iterator[pa.RecordBatch]:
        raise NotImplementedError

    def index_append_order(self, table: str, column: str) -> None:
        """Make a filter on `column`, whose values grow as rows are appended (dlt's load id), skip the older rows.

        DuckDB keeps every column's min and max per row group already (zone maps): nothing to do.
        """

    def close(self) -> None:
        raise NotImplementedError

    def table_names(self, schema: str | None = None) -> list[tuple[str, str]]:
        """(schema, table) of every base table (not views), of one schema if given."""
        return [tuple(r) for r in self.rows(
            "select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE' "
            "and table_schema not in ('information_schema', 'pg_catalog') and (? is null or table_schema = ?) "
            "order by 1, 2", [schema, schema])]

    def row_counts(self, schema: str | None = None) -> dict[tuple[str, str], int]:
        """Exact rows of every base table (views would rerun their queries), by (schema, table)."""
        return {(s, t): self.rows(f'select count(*) from "{s}"."{t}"')[0][0] for s, t in self.table_names(schema)}


class DuckDbConnection(WarehouseConnection):
    dialect = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection, read_only: bool = False):
        self.duckdb, self.read_only = con, read_only

    def rows(self, sql: str, params: Sequence = ()) -> list[tuple]:
        return self.duckdb.execute(sql, [_plain(p) for p in params]).fetchall()

    def execute(self, sql: str, params: Sequence = ()) -> None:
        self.duckdb.execute(sql, [_plain(p) for p in params])

    def arrow(self, sql: str, params: Sequence = ()) -> pa.Table:
        return self.duckdb.sql(sql, params=[_plain(p) for p in params] or None).to_arrow_table()

    def batches(self, sql: str, batch_rows: int) -> Iterator[pa.RecordBatch]:
        return iter(self.duckdb.sql(sql).to_arrow_reader(batch_rows))

    def table_names(self, schema: str | None = None) -> list[tuple[str, str]]:
        (database,) = self.duckdb.execute("select current_database()").fetchone()
        return self.rows("select schema_name, table_name from duckdb_tables() where database_name = ? and not internal "
                         "and (? is null or schema_name = ?) order by 1, 2", [database, schema, schema])

    def close(self) -> None:
        self.duckdb.close()


def _pyformat(sql: str) -> str:
    """`?` parameters as psycopg2 wants them (`%s`), literal percent signs doubled."""
    return sql.replace("%", "%%").replace("?", "%s")


def _arrow_column(values: list, oid: int) -> pa.Array:
    kind = _ARROW_BY_OID.get(oid)
    if oid == NUMERIC_OID:  # sums of integers are numeric on Postgres, integers on DuckDB; other numerics doubles
        whole = all(v is None or v == v.to_integral_value() for v in values)
        kind = pa.int64() if whole else pa.float64()
        values = [None if v is None else int(v) if whole else float(v) for v in values]
    if kind == pa.timestamp("us", tz="UTC"):
        values = [None if v is None else v.astimezone(dt.timezone.utc) for v in values]
    return pa.array(values, type=kind)


def _arrow_table(names: list[str], oids: list[int], rows: list[tuple]) -> pa.Table:
    return pa.table({name: _arrow_column([row[i] for row in rows], oid) for i, (name, oid) in enumerate(zip(names, oids))})


class PostgresConnection(WarehouseConnection):
    dialect = "postgres"

    def __init__(self, url: str, read_only: bool = False):
        options = "-c timezone=UTC" + (" -c default_transaction_read_only=on" if read_only else "")
        self.postgres = psycopg2.connect(url, options=options)
        self.postgres.autocommit = True  # each statement on its own, as on DuckDB
        self.read_only = read_only

    def _cursor(self, sql: str, params: Sequence):
        cursor = self.postgres.cursor()
        cursor.execute(_pyformat(sql) if params else sql, [_plain(p) for p in params] or None)
        return cursor

    def rows(self, sql: str, params: Sequence = ()) -> list[tuple]:
        with self._cursor(sql, params) as cursor:
            return cursor.fetchall()

    def execute(self, sql: str, params: Sequence = ()) -> None:
        self._cursor(sql, params).close()

    def arrow(self, sql: str, params: Sequence = ()) -> pa.Table:
        with self._cursor(sql, params) as cursor:
            rows = cursor.fetchall()
            return _arrow_table([d.name for d in cursor.description], [d.type_code for d in cursor.description], rows)

    def index_append_order(self, table: str, column: str) -> None:
        """A BRIN index: min and max per range of pages, a few pages per table. Without it, each gate of a
        one-day run scanned its whole raw table for the day's load."""
        schema, name = table.split(".")
        self.execute(f'create index if not exists "{name}__{column}__brin" on {schema}."{name}" using brin ("{column}")')

    def batches(self, sql: str, batch_rows: int) -> Iterator[pa.RecordBatch]:
        """Rows streamed by a server-side cursor, `batch_rows` at a time (inside one read transaction)."""
        self.postgres.autocommit = False
        try:
            with self.postgres.cursor(name="ecomops_batches") as cursor:
                cursor.itersize = batch_rows
                cursor.execute(sql)
                while rows := cursor.fetchmany(batch_rows):
                    names, oids = [d.name for d in cursor.description], [d.type_code for d in cursor.description]
                    yield from _arrow_table(names, oids, rows).to_batches()
        finally:
            self.postgres.rollback()
            self.postgres.autocommit = True

    def close(self) -> None:
        self.postgres.close()


def _plain(value: object) -> object:
    """Parameters psycopg2 can adapt: numpy scalars as Python ones, lists as lists."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes, decimal.Decimal)):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def as_warehouse_connection(con: WarehouseConnection | duckdb.DuckDBPyConnection) -> WarehouseConnection:
    """A connection of this interface: as given, or a DuckDB connection wrapped."""
    return con if isinstance(con, WarehouseConnection) else DuckDbConnection(con)


@contextmanager
def connect_warehouse(paths: WarehousePaths, read_only: bool = False) -> Iterator[WarehouseConnection]:
    """The settings' warehouse, closed on leaving (also when the block raises)."""
    if paths.on_postgres:
        connection: WarehouseConnection = PostgresConnection(
            postgres_credentials(paths).to_native_representation(), read_only)
    else:
        connection = DuckDbConnection(duckdb.connect(str(paths.warehouse), read_only=read_only,
                                                     config=paths.duckdb.config()), read_only)
    try:
        yield connection
    finally:
        connection.close()
