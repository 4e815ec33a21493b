"""Reading a DuckDB warehouse's catalog: its tables, their columns, how many rows each holds."""

from __future__ import annotations

import duckdb


def table_row_counts(con: duckdb.DuckDBPyConnection, schema: str | None = None) -> dict[tuple[str, str], int]:
    """Exact rows of every base table (views are not counted: they would rerun their queries), by (schema, table)."""
    tables = con.execute(
        "select schema_name, table_name from duckdb_tables() "
        "where not internal and (? is null or schema_name = ?) order by 1, 2",
        [schema, schema],
    ).fetchall()
    return {(s, t): con.execute(f'select count(*) from "{s}"."{t}"').fetchall()[0][0] for s, t in tables}


def tables(con: duckdb.DuckDBPyConnection, database: str) -> list[tuple[str, str]]:
    """(schema, table) of every base table of one attached database."""
    return con.execute("select schema_name, table_name from duckdb_tables() where database_name = ?",
                       [database]).fetchall()


def columns(con: duckdb.DuckDBPyConnection, database: str, schema: str, table: str) -> list[tuple[str, str]]:
    """(name, type) of a table's columns, in their order."""
    return con.execute(
        "select column_name, data_type from duckdb_columns() "
        "where database_name = ? and schema_name = ? and table_name = ? order by column_index",
        [database, schema, table],
    ).fetchall()
