"""Reading the DuckDB warehouse's shape: how many rows each table holds."""

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
