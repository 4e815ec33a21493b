"""The dlt source that lands a landing folder as raw tables (one resource per raw table).

Every file's outcome lands in the ledger `raw.ingest_files` (path, size,
mtime, content hash, mapping fingerprint, status), in the same dlt load as its
rows; the ledger rows of completed loads tell the next run which files are new
or changed, so a rerun parses only those, and a crashed load is simply redone.
Rows are merged with `delete-insert` on `_source_file`: a changed file replaces
its own earlier rows, and reloading the same landing changes nothing. (The
ledger, not dlt state, tracks files: state is stored whole with every load and
would grow with the number of files.)

Each file is stat'ed, hashed and read inside one per-file boundary
(`ingestion.rejection`): whatever goes wrong there is that file's rejection
(ledger row, quarantine copy), and the other files load in the same run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import dlt
import pyarrow as pa
import pyarrow.compute as pc
from dlt.destinations.exceptions import DatabaseUndefinedRelation
from dlt.extract.resource import DltResource

from ecomops.settings import DEFAULT_TIMEZONE
from ingestion.rejection import RejectedFile, within_file_boundary
from ingestion.landing import SHOPS_FILE, LandingFile, LandingScan, file_sha256, quarantine, scan_landing
from ingestion.mapping import PACKAGED_MAPPINGS, ExportMapping, load_mappings
from ingestion.parse import FileContext, parse_export, raw_arrow_schema

LEDGER_TABLE = "ingest_files"
SHOPS_TABLE = "shops"
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
SHOPS_SCHEMA = pa.schema([
    ("shop_code", pa.string()),
    ("platform", pa.string()),
    ("shop_name", pa.string()),
    ("timezone", pa.string()),
    ("currency", pa.string()),
    pa.field("_source_file", pa.string(), nullable=False),
])
# Files are handed to dlt in batches: its per-item cost dwarfs a small file's. A batch is held whole while
# dlt writes it: batches of 250,000 rows held 0.25 GB more at the peak of a 10 shops x 60 days load.
BATCH_ROWS = 50_000
MERGE_BY_FILE = {"write_disposition": {"disposition": "merge", "strategy": "delete-insert"}, "merge_key": "_source_file"}


@dataclass
class IngestReport:
    """What one run did with each file, for the run's logs and asset metadata."""

    outcomes: list[dict] = field(default_factory=list)

    def rejected(self) -> list[dict]:
        return [o for o in self.outcomes if o["status"] == "rejected"]

    def for_table(self, table: str) -> list[dict]:
        return [o for o in self.outcomes if o["table_name"] == table]


def _file_stat_columns(size: int, mtime_ns: int) -> dict:
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


def _ledger_row(file: LandingFile, status: str, stat: tuple[int, int] | None, rows: int = 0,
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
        **(_file_stat_columns(size, mtime_ns) if stat is not None
           else {"file_size": None, "file_mtime": None, "file_mtime_ns": None}),
        "reason": str(error) if error else reason,
        "error_row": error.row if error else None,
        "error_column": error.column if error else None,
        "mapping_fingerprint": fingerprint,
        "first_business_date": first_day,
        "processed_at": dt.datetime.now(tz=dt.timezone.utc),
    }


def _to_ledger(*rows: dict):
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


def _export_resource(mapping: ExportMapping, scan: Callable[[], LandingScan], tracked_by_file: Callable[[], dict],
                     quarantine_dir: Path, report: IngestReport) -> DltResource:
    def load_table() -> Iterator:
        current, tracked = scan(), tracked_by_file()
        # Files whose rows are loaded, by content: a re-delivered copy is a duplicate. An empty export
        # (a header and no rows, the same bytes every quiet day) is never one: there is nothing to load twice.
        loaded_hashes = {t["file_hash"]: path for path, t in tracked.items() if t["status"] == "loaded" and t["rows"]}
        batch: list[pa.Table] = [raw_arrow_schema(mapping).empty_table()]  # the table exists before its first file
        batch_rows = 0
        outcomes: list[dict] = []
        touched: list[dict] = []
        for file in current.files_for(mapping.table_name):
            previous = tracked.get(file.relative_path)
            outcome = _process(file, previous, mapping, current, loaded_hashes, quarantine_dir)
            if outcome is None:
                continue  # unchanged since last processed, or gone since the scan
            if outcome.touched is not None:
                touched.append(outcome.touched)
                continue
            outcomes.append(outcome.ledger_row)
            if outcome.table is None:
                continue
            if outcome.table.num_rows:
                loaded_hashes[outcome.ledger_row["file_hash"]] = file.relative_path
            batch.append(outcome.table)
            batch_rows += outcome.table.num_rows
            if batch_rows >= BATCH_ROWS:
                yield pa.concat_tables(batch)
                batch, batch_rows = [], 0
        if batch:
            yield pa.concat_tables(batch)
        yield _to_ledger(*outcomes, *touched)
        report.outcomes.extend(outcomes)

    return dlt.resource(load_table, name=mapping.table_name, **MERGE_BY_FILE)


@dataclass(frozen=True)
class FileOutcome:
    """What became of one landing file: a ledger row (and its rows, if it loaded), or only a new mtime."""

    ledger_row: dict | None = None
    table: pa.Table | None = None
    touched: dict | None = None


def _process(file: LandingFile, previous: dict | None, mapping: ExportMapping, scan: LandingScan,
             loaded_hashes: dict[str, str], quarantine_dir: Path) -> FileOutcome | None:
    """One file, inside the per-file boundary: whatever goes wrong reading it is its rejection."""
    stat: tuple[int, int] | None = None
    file_hash: str | None = None

    def read() -> FileOutcome | None:
        nonlocal stat, file_hash
        stat = file.stat()
        known = previous is not None and previous["mapping_fingerprint"] == mapping.fingerprint
        if known and (previous["file_size"], previous["file_mtime_ns"]) == stat:
            return None  # unchanged since it was last processed: not even hashed again
        file_hash = file_sha256(file.path)
        if known and previous["file_hash"] == file_hash:  # touched, not changed: remember the new mtime only
            return FileOutcome(touched={**previous, **_file_stat_columns(*stat)})
        if file.problem:  # where it lies or what it is named says it cannot load, whatever its content
            raise RejectedFile(file.relative_path, file.problem)
        original = loaded_hashes.get(file_hash)
        if original and original != file.relative_path:
            return FileOutcome(_ledger_row(file, "duplicate", stat, file_hash=file_hash, fingerprint=mapping.fingerprint,
                                           reason=f"same content as {original}, already loaded"))
        shop = scan.shops.get(file.shop_code) if file.shop_code else None
        context = FileContext(path=file.path, relative_path=file.relative_path, file_hash=file_hash, mtime_ns=stat[1],
                              platform=file.platform, shop_code=file.shop_code,
                              timezone=shop.timezone if shop else scan.default_timezone)
        table = parse_export(context, mapping)
        return FileOutcome(_ledger_row(file, "loaded", stat, rows=table.num_rows, file_hash=file_hash,
                                       fingerprint=mapping.fingerprint,
                                       first_day=first_business_date(table, context.timezone)), table)

    try:
        return within_file_boundary(file.relative_path, read)
    except RejectedFile as error:
        if not file.path.exists():
            return None  # moved or deleted since the scan: nothing to reject; a later scan sees where it went
        quarantine(file, quarantine_dir, str(error))
        return FileOutcome(_ledger_row(file, "rejected", stat, file_hash=file_hash, error=error,
                                       fingerprint=mapping.fingerprint))


def _stat_or_none(file: LandingFile) -> tuple[int, int] | None:
    try:
        return file.stat()
    except OSError:
        return None


def _shops_resource(scan: Callable[[], LandingScan], quarantine_dir: Path, report: IngestReport) -> DltResource:
    """The shop registry, plus the files lying where no export belongs (reported, never lost)."""

    def load_shops() -> Iterator:
        current = scan()
        yield _to_ledger()  # the ledger exists even before the first file
        yield pa.Table.from_pylist(
            [{**vars(shop), "_source_file": SHOPS_FILE} for shop in current.shops.values()], schema=SHOPS_SCHEMA
        )
        for file in current.misplaced:
            error = RejectedFile(file.relative_path, file.problem or "misplaced")
            quarantine(file, quarantine_dir, str(error))
            row = _ledger_row(file, "rejected", _stat_or_none(file), error=error)
            report.outcomes.append(row)
            yield _to_ledger(row)

    return dlt.resource(load_shops, name=SHOPS_TABLE, **MERGE_BY_FILE)


@dlt.source(name="landing", max_table_nesting=0)
def landing_source(landing: str, quarantine_dir: str, mappings_dir: str = str(PACKAGED_MAPPINGS),
                   default_timezone: str = DEFAULT_TIMEZONE, report: IngestReport | None = None):
    """Every raw table of a landing folder. The folder is scanned once, when the run starts extracting."""
    landing_path, quarantine_path = Path(landing), Path(quarantine_dir)
    report = report if report is not None else IngestReport()
    mappings = load_mappings(Path(mappings_dir))

    @cache
    def scan() -> LandingScan:
        return scan_landing(landing_path, mappings.by_table, mappings.platforms, default_timezone)

    @cache
    def tracked_by_file() -> dict[str, dict]:
        return tracked_files()

    return [_shops_resource(scan, quarantine_path, report)] + [
        _export_resource(mapping, scan, tracked_by_file, quarantine_path, report) for mapping in mappings.by_table.values()
    ]
