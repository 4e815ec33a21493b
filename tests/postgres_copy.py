"""Tables of a DuckDB warehouse built by a real run, copied into a Postgres database (psycopg2 COPY).

A stand-in for the tests of readers until the pipeline itself runs on Postgres: then the fixture that
uses this builds the same tables with `ECOMOPS_TARGET=postgres ecomops run` instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import duckdb
import psycopg2
from psycopg2 import sql

# DuckDB column types -> Postgres; DECIMAL(p,s) keeps its precision and scale.
TYPES = {"VARCHAR": "text", "BOOLEAN": "boolean", "DATE": "date", "TIMESTAMP": "timestamp",
         "TIMESTAMP WITH TIME ZONE": "timestamptz", "DOUBLE": "double precision", "FLOAT": "real",
         "BIGINT": "bigint", "INTEGER": "integer", "SMALLINT": "smallint", "TINYINT": "smallint",
         "HUGEINT": "numeric", "UBIGINT": "numeric", "UINTEGER": "bigint", "USMALLINT": "integer",
         "UTINYINT": "smallint", "TIME": "time", "UUID": "uuid", "JSON": "jsonb", "BLOB": "bytea"}


def postgres_type(duckdb_type: str) -> str:
    if re.fullmatch(r"DECIMAL\(\d+,\d+\)", duckdb_type):
        return duckdb_type.replace("DECIMAL", "numeric")
    return TYPES.get(duckdb_type, "text")  # lists, structs: as their text


def copy_tables(warehouse: Path, postgres_url: str, schemas: Iterable[str], scratch: Path) -> dict[str, int]:
    """Every table of `schemas` in the DuckDB file, created and filled in Postgres: rows per `schema.table`."""
    schemas = list(schemas)
    copied = {}
    with duckdb.connect(str(warehouse), read_only=True) as source, psycopg2.connect(postgres_url) as target:
        tables = source.execute(
            "select schema_name, table_name from duckdb_tables() where schema_name in "
            f"({', '.join('?' for _ in schemas)}) and not table_name like '_dlt%' order by 1, 2",
            list(schemas)).fetchall()
        with target.cursor() as cursor:
            for schema, table in tables:
                columns = source.execute(
                    "select column_name, data_type from duckdb_columns() where schema_name = ? and table_name = ? "
                    "order by column_index", [schema, table]).fetchall()
                name = sql.Identifier(schema, table)
                cursor.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)))
                cursor.execute(sql.SQL("create table {} ({})").format(name, sql.SQL(", ").join(
                    sql.SQL("{} {}").format(sql.Identifier(column), sql.SQL(postgres_type(kind)))
                    for column, kind in columns)))
                # DuckDB writes the CSV: NULL unquoted-empty, text quoted (so '' stays an empty string).
                dump = scratch / f"{schema}.{table}.csv"
                source.execute(f'copy (select * from "{schema}"."{table}") to \'{dump}\' '
                               "(header false, force_quote *)")
                with dump.open("rb") as data:
                    cursor.copy_expert(sql.SQL("copy {} from stdin with (format csv)").format(name), data)
                rows = cursor.rowcount
                copied[f"{schema}.{table}"] = rows
    return copied
