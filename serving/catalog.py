"""Reading a DuckDB warehouse's catalog for the serving copy: its tables and their columns."""

from __future__ import annotations

import duckdb


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
