"""The ledger `raw.ingest_files`: one row per landing file and outcome, loaded with the file's rows.

The ledger rows of completed loads tell the next run which files are new or
changed (see `ingestion.source`).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import dlt
import pyarrow as pa
import pyarrow.compute as pc
from dlt.destinations.exceptions import DatabaseUndefinedRelation

from ingestion.landing import LandingFile
from ingestion.rejection import RejectedFile

LEDGER_TABLE = "ingest_files"
LEDGER_SCHEMA = pa.schema([
    pa.field("_source_file", pa.string(), nullable=False),
    ("table_name", pa.string()),
    ("platform", pa.string()),
    ("shop_code", pa.string()),
    ("status", pa.string()),  # loaded | rejected | duplicate
    ("rows", pa.int64()),
    ("file_hash", pa.string()),
    ("file_size", pa.int64()),
    ("file_mtime", pa.timestamp("us", tz="UTC")),
    ("file_mtime_ns", pa.int64()),
    ("reason", pa.string()),
    ("error_row", pa.int64()),
    ("error_column", pa.string()),
    ("mapping_fingerprint", pa.string()),
    ("first_business_date", pa.date32()),
    ("processed_at", pa.timestamp("us", tz="UTC")),
])

def file_stat_columns(size: int, mtime_ns: int) -> dict:
    """The ledger's record of a file's size and modification time, read by the next run's change test."""
    return {
        "file_size": size,
        "file_mtime": dt.datetime.fromtimestamp(mtime_ns / 1e9, tz=dt.timezone.utc),
        "file_mtime_ns": mtime_ns,
    }


def first_business_date(table: pa.Table, timezone: str) -> dt.date | None:
    """The earliest shop-local day of any date or time in the file: the first business day it can change.

    A day's order export re-exports orders created weeks before (their status changed), and a cost price
    list reaches back to its first cost period: their KPI days need a rebuild, not only the file's day.
    """
    days = []
    for name in table.column_names:
        column = table.column(name)
        if name.startswith("_") or not (pa.types.is_timestamp(column.type) or pa.types.is_date(column.type)):
            continue
        first = pc.min(column).as_py()
        if isinstance(first, dt.datetime):
            first = first.astimezone(ZoneInfo(timezone)).date() if first.tzinfo else first.date()
        if first is not None:
            days.append(first)
    return min(days, default=None)


def ledger_row(file: LandingFile, status: str, stat: tuple[int, int] | None, rows: int = 0,
                file_hash: str | None = None, error: RejectedFile | None = None, reason: str | None = None,
                fingerprint: str | None = None, first_day: dt.date | None = None) -> dict:
    size, mtime_ns = stat if stat is not None else (None, None)  # None: the file could not even be stat'ed
    return {
        "_source_file": file.relative_path,
        "table_name": file.table,
        "platform": file.platform,
        "shop_code": file.shop_code,
        "status": status,
        "rows": rows,
        "file_hash": file_hash,
        **(file_stat_columns(size, mtime_ns) if stat is not None
           else {"file_size": None, "file_mtime": None, "file_mtime_ns": None}),
        "reason": str(error) if error else reason,
        "error_row": error.row if error else None,
        "error_column": error.column if error else None,
        "mapping_fingerprint": fingerprint,
        "first_business_date": first_day,
        "processed_at": dt.datetime.now(tz=dt.timezone.utc),
    }


def to_ledger(*rows: dict):
    """Route outcome rows to the ledger table from inside any resource."""
    return dlt.mark.with_hints(
        pa.Table.from_pylist(list(rows), schema=LEDGER_SCHEMA), dlt.mark.make_hints(table_name=LEDGER_TABLE), create_table_variant=True
    )


def tracked_files() -> dict[str, dict]:
    """The ledger rows of completed loads, by file: what each landing file was when last processed.

    Only loads that dlt marked complete count, so the ledger moves with the data:
    a file whose load did not finish is simply processed again.
    """
    with dlt.current.pipeline().sql_client() as client:
        ledger, loads = client.make_qualified_table_name(LEDGER_TABLE), client.make_qualified_table_name("_dlt_loads")
        try:
            with client.execute_query(
                f"select f.* from {ledger} as f join {loads} as l on l.load_id = f._dlt_load_id where l.status = 0"
            ) as cursor:
                names = [d[0] for d in cursor.description]
                rows = cursor.fetchall()
        except DatabaseUndefinedRelation:
            return {}
    keep = set(LEDGER_SCHEMA.names)
    return {row["_source_file"]: {k: v for k, v in row.items() if k in keep} for row in (dict(zip(names, r)) for r in rows)}
