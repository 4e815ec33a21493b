"""The dlt source that lands a landing folder as raw tables (one resource per raw table).

Each file is tracked in the resource's dlt state by content hash (and the
mapping's fingerprint), so a rerun parses only new or changed files. Rows are
merged with `delete-insert` on `_source_file`: a changed file replaces its own
earlier rows, and reloading the same landing changes nothing. The state and the
rows commit in the same load, so a crashed run is simply redone next time.
Every file's outcome lands in `raw.ingest_files`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import dlt
import pyarrow as pa
from dlt.extract.resource import DltResource

from ingestion.files import RejectedFile
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
    ("reason", pa.string()),
    ("error_row", pa.int64()),
    ("error_column", pa.string()),
    ("mapping_fingerprint", pa.string()),
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
BATCH_ROWS = 250_000  # files are handed to dlt in batches: its per-item cost dwarfs a small file's
MERGE_BY_FILE = {"write_disposition": {"disposition": "merge", "strategy": "delete-insert"}, "merge_key": "_source_file"}


@dataclass
class IngestReport:
    """What one run did with each file, for the run's logs and asset metadata."""

    outcomes: list[dict] = field(default_factory=list)

    def rejected(self) -> list[dict]:
        return [o for o in self.outcomes if o["status"] == "rejected"]

    def for_table(self, table: str) -> list[dict]:
        return [o for o in self.outcomes if o["table_name"] == table]


def _ledger_row(file: LandingFile, status: str, rows: int = 0, file_hash: str | None = None,
                error: RejectedFile | None = None, reason: str | None = None, fingerprint: str | None = None) -> dict:
    size, mtime_ns = file.stat()
    return {
        "_source_file": file.relative_path,
        "table_name": file.table,
        "platform": file.platform,
        "shop_code": file.shop_code,
        "status": status,
        "rows": rows,
        "file_hash": file_hash,
        "file_size": size,
        "file_mtime": dt.datetime.fromtimestamp(mtime_ns / 1e9, tz=dt.timezone.utc),
        "reason": str(error) if error else reason,
        "error_row": error.row if error else None,
        "error_column": error.column if error else None,
        "mapping_fingerprint": fingerprint,
        "processed_at": dt.datetime.now(tz=dt.timezone.utc),
    }


def _to_ledger(*rows: dict):
    """Route outcome rows to the ledger table from inside any resource."""
    return dlt.mark.with_hints(
        pa.Table.from_pylist(list(rows), schema=LEDGER_SCHEMA), dlt.mark.make_hints(table_name=LEDGER_TABLE), create_table_variant=True
    )


def _export_resource(mapping: ExportMapping, scan: Callable[[], LandingScan], quarantine_dir: Path,
                     report: IngestReport) -> DltResource:
    def load_table() -> Iterator:
        seen: dict[str, list] = dlt.current.resource_state().setdefault("files", {})
        loaded_hashes = {entry[0]: path for path, entry in seen.items() if entry[4] == "loaded"}
        current = scan()
        batch: list[pa.Table] = [raw_arrow_schema(mapping).empty_table()]  # the table exists before its first file
        outcomes: list[dict] = []
        for file in current.files_for(mapping.table_name):
            size, mtime_ns = file.stat()
            previous = seen.get(file.relative_path)
            if previous and previous[1:4] == [size, mtime_ns, mapping.fingerprint]:
                continue  # unchanged since it was last processed: not even hashed again
            file_hash = file_sha256(file.path)
            if previous and previous[0] == file_hash and previous[3] == mapping.fingerprint:
                seen[file.relative_path] = [file_hash, size, mtime_ns, mapping.fingerprint, previous[4]]
                continue  # touched, not changed
            status, table, row = _process(file, file_hash, mtime_ns, mapping, current, loaded_hashes, quarantine_dir)
            outcomes.append(row)
            seen[file.relative_path] = [file_hash, size, mtime_ns, mapping.fingerprint, status]
            if table is None:
                continue
            loaded_hashes[file_hash] = file.relative_path
            batch.append(table)
            if sum(t.num_rows for t in batch) >= BATCH_ROWS:
                yield pa.concat_tables(batch)
                batch = []
        if batch:
            yield pa.concat_tables(batch)
        yield _to_ledger(*outcomes)
        report.outcomes.extend(outcomes)

    return dlt.resource(load_table, name=mapping.table_name, **MERGE_BY_FILE)


def _process(file: LandingFile, file_hash: str, mtime_ns: int, mapping: ExportMapping, scan: LandingScan,
             loaded_hashes: dict[str, str], quarantine_dir: Path) -> tuple[str, pa.Table | None, dict]:
    original = loaded_hashes.get(file_hash)
    if original and original != file.relative_path:
        return "duplicate", None, _ledger_row(file, "duplicate", file_hash=file_hash, fingerprint=mapping.fingerprint,
                                              reason=f"same content as {original}, already loaded")
    try:
        if file.problem:
            raise RejectedFile(file.relative_path, file.problem)
        shop = scan.shops.get(file.shop_code) if file.shop_code else None
        context = FileContext(
            path=file.path,
            relative_path=file.relative_path,
            file_hash=file_hash,
            mtime_ns=mtime_ns,
            platform=file.platform,
            shop_code=file.shop_code,
            timezone=shop.timezone if shop else "Asia/Shanghai",
        )
        table = parse_export(context, mapping)
    except RejectedFile as error:
        quarantine(file, quarantine_dir, str(error))
        return "rejected", None, _ledger_row(file, "rejected", file_hash=file_hash, error=error,
                                             fingerprint=mapping.fingerprint)
    return "loaded", table, _ledger_row(file, "loaded", rows=table.num_rows, file_hash=file_hash,
                                        fingerprint=mapping.fingerprint)


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
            row = _ledger_row(file, "rejected", error=error)
            report.outcomes.append(row)
            yield _to_ledger(row)

    return dlt.resource(load_shops, name=SHOPS_TABLE, **MERGE_BY_FILE)


@dlt.source(name="landing", max_table_nesting=0)
def landing_source(landing: str = "data/landing", quarantine_dir: str = "data/quarantine",
                   mappings_dir: str = str(PACKAGED_MAPPINGS), report: IngestReport | None = None):
    """Every raw table of a landing folder. The folder is scanned once, when the run starts extracting."""
    landing_path, quarantine_path = Path(landing), Path(quarantine_dir)
    report = report if report is not None else IngestReport()
    mappings = load_mappings(Path(mappings_dir))

    @cache
    def scan() -> LandingScan:
        return scan_landing(landing_path, mappings.by_table, mappings.platforms)

    return [_shops_resource(scan, quarantine_path, report)] + [
        _export_resource(mapping, scan, quarantine_path, report) for mapping in mappings.by_table.values()
    ]
