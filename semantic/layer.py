"""Metric queries compiled by MetricFlow from dbt's semantic manifest, run on a read-only connection.

MetricFlow only compiles here: its engine is given a SQL client that knows the dialect (DuckDB or Postgres)
and runs nothing. Our own connection runs the SQL (a DuckDB connection, or a psycopg2 connection in a
read-only transaction), so no dbt adapter or profile is needed at query time.
"""

from __future__ import annotations

import functools
import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pyarrow as pa
from metricflow.engine.metricflow_engine import MetricFlowEngine, MetricFlowQueryRequest, OutputColumnOrderMode
from metricflow.protocols.sql_client import SqlEngine
from metricflow.sql.render.duckdb_renderer import DuckDbSqlPlanRenderer
from metricflow.sql.render.postgres import PostgresSQLSqlPlanRenderer
from metricflow.sql.render.sql_plan_renderer import SqlPlanRenderer
from metricflow_semantics.errors.error_classes import InvalidQueryException
from metricflow_semantics.model.dbt_manifest_parser import parse_manifest_from_dbt_generated_manifest
from metricflow_semantics.model.semantic_manifest_lookup import SemanticManifestLookup

from ingestion.warehouse import WarehouseConnection
from semantic.catalog import Catalog
from semantic.filters import canonical_where, render_filters

COMPILED_QUERIES_KEPT = 1024


# The dialects the layer compiles for: (MetricFlow's engine, its renderer).
DIALECTS: dict[str, tuple[SqlEngine, type[SqlPlanRenderer]]] = {
    "duckdb": (SqlEngine.DUCKDB, DuckDbSqlPlanRenderer),
    "postgres": (SqlEngine.POSTGRES, PostgresSQLSqlPlanRenderer),
}


class CompileOnlyClient:
    """MetricFlow's SqlClient protocol, for compiling only: one dialect, and no execution."""

    def __init__(self, dialect: str):
        if dialect not in DIALECTS:
            raise ValueError(f"unknown SQL dialect {dialect!r}: one of {', '.join(DIALECTS)}")
        engine, renderer = DIALECTS[dialect]
        self.sql_engine_type = engine
        self.sql_plan_renderer = renderer()

    def query(self, stmt, sql_bind_parameter_set=None):
        raise NotImplementedError("compile only: SemanticLayer.query runs the SQL on its own connection")

    execute = dry_run = query

    def close(self) -> None:
        pass

    def render_bind_parameter_key(self, bind_parameter_key: str) -> str:
        return f"${bind_parameter_key}"


def load_semantic_manifest(path: Path):
    """dbt's semantic_manifest.json, its relations named `schema.table`, without the database.

    dbt writes the catalog of the file it parsed against (`"warehouse"."marts"."fct_orders"`); without it
    the SQL reads the connection's own database, so it runs on any warehouse or serving copy, whatever
    the file is named (DuckDB names the catalog of `north.serving.duckdb` `north`).
    """
    raw = json.loads(path.read_text(encoding="utf-8"))
    for owner in (*raw["semantic_models"], *raw["project_configuration"]["time_spines"]):
        relation = owner["node_relation"]
        relation["database"] = None
        relation["relation_name"] = f'"{relation["schema_name"]}"."{relation["alias"]}"'
    return parse_manifest_from_dbt_generated_manifest(json.dumps(raw))


class SemanticLayer:
    """The metrics of one semantic manifest: their catalog, their SQL (compiled once per query), their results."""

    def __init__(self, manifest_path: Path, dialect: str = "duckdb"):
        manifest = load_semantic_manifest(manifest_path)
        self.dialect = dialect
        self._engine = MetricFlowEngine(semantic_manifest_lookup=SemanticManifestLookup(manifest),
                                        sql_client=CompileOnlyClient(dialect))
        self._catalog = Catalog.of(self._engine, manifest)
        relations = [m.node_relation for m in manifest.semantic_models]
        relations += [spine.node_relation for spine in manifest.project_configuration.time_spines]
        self.tables = frozenset((relation.schema_name, relation.alias) for relation in relations)  # (schema, table) read
        self._explaining = threading.Lock()  # MetricFlow numbers the parts of a plan from one global counter
        self._compiled = functools.lru_cache(maxsize=COMPILED_QUERIES_KEPT)(self._explain)

    def catalog(self) -> dict:
        return self._catalog.as_dict()

    def compile(self, metrics: Sequence[str], group_by: Sequence[str] = (), where: Sequence[str] = (),
                order_by: Sequence[str] = (), limit: int | None = None,
                filters: Sequence[tuple[str, str, object]] = ()) -> str:
        """The SQL MetricFlow generates. `where`: MetricFlow where strings; `filters`: (name, operator, value).

        Every name is checked against the catalog first: ValueError names what is unknown or not allowed.
        """
        request = self._normalized(metrics, group_by, where, order_by, limit, filters)
        return self._compiled(*request)

    def query(self, connection, metrics: Sequence[str], group_by: Sequence[str] = (),
              where: Sequence[str] = (), order_by: Sequence[str] = (), limit: int | None = None,
              filters: Sequence[tuple[str, str, object]] = ()) -> pa.Table:
        """The query's rows, columns named as requested (group-bys, then metrics); time group-bys as dates.

        `connection`: a read-only DuckDB connection for the duckdb dialect, a psycopg2 connection in a
        read-only transaction for postgres, or a read-only `WarehouseConnection` of the layer's dialect.
        """
        sql = self.compile(metrics, group_by, where, order_by, limit, filters)
        if isinstance(connection, WarehouseConnection):  # the pipeline's own connection (the run summary)
            if connection.dialect != self.dialect:
                raise ValueError(f"this layer compiles {self.dialect} SQL, the connection is {connection.dialect}")
            if not connection.read_only:
                raise ValueError("the semantic layer reads only: open the warehouse with read_only=True")
            table = connection.arrow(sql)
        elif self.dialect == "postgres":
            table = _postgres_rows(connection, sql)
        else:
            table = _duckdb_rows(connection, sql)
        for index, name in enumerate(table.column_names):
            if name in group_by and pa.types.is_timestamp(table.schema.field(name).type):  # grains are a day or more
                table = table.set_column(index, name, table.column(name).cast(pa.date32()))
        return table

    def _normalized(self, metrics, group_by, where, order_by, limit, filters) -> tuple:
        """The request as a hashable key: names validated, where filters re-rendered and sorted."""
        if isinstance(metrics, str) or not metrics:
            raise ValueError("name at least one metric, as a list")
        metric_names = tuple(self._catalog.metric(name) for name in metrics)
        group_bys = tuple(self._catalog.group_by(name).name for name in group_by)
        wheres = tuple(sorted({*(canonical_where(self._catalog, text) for text in where),
                               *render_filters(self._catalog, filters)}))
        for item in order_by:
            if not isinstance(item, str) or item.removeprefix("-") not in (*metric_names, *group_bys):
                raise ValueError(f"cannot order by {item!r}: order by a requested metric or group-by, '-' first for descending")
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
            raise ValueError(f"limit must be a positive whole number, got {limit!r}")
        return metric_names, group_bys, wheres, tuple(order_by), limit

    def _explain(self, metrics, group_by, where, order_by, limit) -> str:
        request = MetricFlowQueryRequest.create(
            metric_names=metrics, group_by_names=group_by, where_constraints=where or None,
            order_by_names=order_by or None, limit=limit, output_column_order_mode=OutputColumnOrderMode.INPUT_ORDER)
        try:
            with self._explaining:
                statement = self._engine.explain(request).sql_statement
        except InvalidQueryException as error:  # names are known, yet not all of them go together
            reason = " ".join(str(error).split("Suggestions:")[0].split())
            raise ValueError(f"MetricFlow cannot answer {', '.join(metrics)} by {', '.join(group_by) or 'nothing'}"
                             f"{' where ' + ' and '.join(where) if where else ''}: {reason}") from error
        assert not statement.bind_parameter_set.param_items, "a compiled metric query binds no parameters"
        return statement.sql


def _duckdb_rows(connection: duckdb.DuckDBPyConnection, sql: str) -> pa.Table:
    ((read_only,),) = connection.execute(
        "select readonly from duckdb_databases() where database_name = current_database()").fetchall()
    if not read_only:
        raise ValueError("the semantic layer reads only: open the DuckDB file with read_only=True")
    return connection.sql(sql).to_arrow_table()


def _postgres_rows(connection, sql: str) -> pa.Table:
    """The rows of `sql` on a psycopg2 connection, which must be in a read-only transaction."""
    with connection.cursor() as cursor:
        cursor.execute("show transaction_read_only")
        if cursor.fetchone()[0] != "on":
            raise ValueError("the semantic layer reads only: use a read-only transaction (readonly=True)")
        cursor.execute(sql)  # no parameters: psycopg2 leaves a % in the SQL as it is
        names = [column.name for column in cursor.description]
        rows = cursor.fetchall()
    return pa.table({name: pa.array([row[index] for row in rows]) for index, name in enumerate(names)})


def semantic_layer(manifest_path: Path, dialect: str = "duckdb") -> SemanticLayer:
    """The layer of the manifest as it is now: rebuilt when `make install` (dbt parse) rewrites the file.

    So a metric added to the semantic layer reaches a running dashboard without a restart.
    """
    stat = os.stat(manifest_path)
    return _layer_of(Path(manifest_path), dialect, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _layer_of(manifest_path: Path, dialect: str, mtime_ns: int, size: int) -> SemanticLayer:
    """One layer per manifest version and dialect, built on first use (MetricFlow takes a fraction of a second)."""
    return SemanticLayer(manifest_path, dialect)
