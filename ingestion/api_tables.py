"""The raw tables platform sync fills (raw.<platform>_api_orders, raw.<platform>_api_refunds): their columns and
keys, owned here beside the export tables' because staging reads both as one raw contract.

Every landing load creates those missing, empty (a dlt load of its own, so they are no landing asset: the sync
assets own them), so staging's union of API and export rows builds on every warehouse whether or not a shop
syncs from an API; platform_sync writes them with these columns and keys.
"""

from __future__ import annotations

from pathlib import Path

import dlt
import pyarrow as pa
from dlt.extract.resource import DltResource

from ecomops.settings import WarehousePaths
from ingestion.convert import ARROW_TYPES
from ingestion.mapping import ExportMapping, load_mappings
from ingestion.pipeline import RAW_DATASET, warehouse_pipeline

API_KINDS = ("orders", "refunds")
API_TABLES_PIPELINE = "ecomops_api_tables"
# A version of a record is its key at one modification time: re-reading a window (the overlap, a backfill) merges
# onto the same rows.
API_PRIMARY_KEYS = {"orders": ("shop_code", "order_id", "line_id", "modified_at"),
                    "refunds": ("shop_code", "refund_id", "modified_at")}
API_LINEAGE = [("modified_at", ARROW_TYPES["timestamp"]), ("_api_method", pa.string()),
               ("_window_start", ARROW_TYPES["timestamp"]), ("_window_end", ARROW_TYPES["timestamp"]),
               ("_page", pa.int64())]
DLT_TYPES = {"string": "text", "int64": "bigint", "double": "double", "timestamp[us, tz=UTC]": "timestamp",
             "date32[day]": "date"}


def api_table(platform: str, kind: str) -> str:
    return f"{platform}_api_{kind}"


def api_arrow_schema(kind: str, canonical: dict[str, str]) -> pa.Schema:
    """Shop, the kind's canonical columns (typed as the export tables type them), the platform's modified time
    and the lineage of the call that read the row; the version key not null."""
    columns = [("platform", pa.string()), ("shop_code", pa.string()),
               *((name, ARROW_TYPES[type_]) for name, type_ in canonical.items()), *API_LINEAGE]
    return pa.schema([pa.field(name, type_, nullable=name not in API_PRIMARY_KEYS[kind]) for name, type_ in columns])


def api_resource(platform: str, kind: str, canonical: dict[str, str], rows, name: str | None = None) -> DltResource:
    """A dlt resource writing `rows` (dicts or Arrow tables) into the platform's API table, merged on the version
    key; every column typed up front, so a column the API leaves empty still exists."""
    keys = API_PRIMARY_KEYS[kind]
    columns = {field.name: {"data_type": DLT_TYPES[str(field.type)], "nullable": field.nullable}
               for field in api_arrow_schema(kind, canonical)}
    return dlt.resource(rows, name=name or kind, table_name=api_table(platform, kind), write_disposition="merge",
                        primary_key=list(keys), columns=columns)


def create_api_tables(paths: WarehousePaths, mappings_dir: Path) -> list[str]:
    """Create each platform's API tables that do not exist yet, empty: the tables created."""
    mappings = load_mappings(mappings_dir)
    canonical = {mapping.kind: dict(mapping.schema) for mapping in mappings.by_table.values()
                 if mapping.kind in API_KINDS}
    pipeline = warehouse_pipeline(API_TABLES_PIPELINE, RAW_DATASET, paths)
    with pipeline.sql_client() as client:
        existing = {row[0] for row in client.execute_sql(
            "select table_name from information_schema.tables where table_schema = %s", RAW_DATASET)}
    missing = [(platform, kind) for platform in mappings.platforms for kind in API_KINDS
               if api_table(platform, kind) not in existing]
    if missing:
        pipeline.run([api_resource(platform, kind, canonical[kind], [api_arrow_schema(kind, canonical[kind]).empty_table()],
                                   name=api_table(platform, kind)) for platform, kind in missing]
                     ).raise_on_failed_jobs()
    return [api_table(platform, kind) for platform, kind in missing]
