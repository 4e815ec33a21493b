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
(ledger row, quarantine copy), and the other files load in the same run. The
files read are typed a batch at a time (`parse.type_exports`), where a file
that does not type is rejected the same way, alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import dlt
import pyarrow as pa
from dlt.extract.resource import DltResource

from ecomops.settings import DEFAULT_TIMEZONE
from ingestion.rejection import RejectedFile, within_file_boundary
from ingestion.landing import SHOPS_FILE, LandingFile, LandingScan, file_sha256, quarantine, scan_landing
from ingestion.mapping import PACKAGED_MAPPINGS, ExportMapping, load_mappings
from ingestion.ledger import file_stat_columns, first_business_date, ledger_row, to_ledger, tracked_files
from ingestion.parse import FileContext, ReadExport, raw_arrow_schema, read_mapped, type_exports

SHOPS_TABLE = "shops"
SHOPS_SCHEMA = pa.schema([
    ("shop_code", pa.string()),
    ("platform", pa.string()),
    ("shop_name", pa.string()),
    ("timezone", pa.string()),
    ("currency", pa.string()),
    pa.field("_source_file", pa.string(), nullable=False),
])
# Files are typed and handed to dlt in batches: per-call costs dwarf a small file's. A batch is held whole
# (as text, then typed) until dlt writes it: batches of 250,000 rows held 0.25 GB more at the peak of a
# 10 shops x 60 days load.
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


def _export_resource(mapping: ExportMapping, scan: Callable[[], LandingScan], tracked_by_file: Callable[[], dict],
                     quarantine_dir: Path, report: IngestReport) -> DltResource:
    def load_table() -> Iterator:
        current, tracked = scan(), tracked_by_file()
        # Files whose rows are loaded, by content: a re-delivered copy is a duplicate. An empty export
        # (a header and no rows, the same bytes every quiet day) is never one: there is nothing to load twice.
        loaded_hashes = {t["file_hash"]: path for path, t in tracked.items() if t["status"] == "loaded" and t["rows"]}
        waiting = WaitingFiles(mapping, quarantine_dir, loaded_hashes)
        touched: list[dict] = []
        for file in current.files_for(mapping.table_name):
            outcome = _process(file, tracked.get(file.relative_path), mapping, current, loaded_hashes, quarantine_dir,
                               waiting)
            if outcome is None:
                continue  # unchanged since last processed, or gone since the scan
            if outcome.touched is not None:
                touched.append(outcome.touched)
            else:
                waiting.add(file, outcome)
            if waiting.rows >= BATCH_ROWS:
                waiting.type_files()
            if waiting.typed_rows >= BATCH_ROWS:
                yield waiting.take_typed()
        waiting.type_files()
        yield waiting.take_typed()  # even when empty: the table exists before its first file
        outcomes = [row for row in waiting.outcomes if row is not None]  # None: gone since it was read
        yield to_ledger(*outcomes, *touched)
        report.outcomes.extend(outcomes)

    return dlt.resource(load_table, name=mapping.table_name, **MERGE_BY_FILE)


@dataclass(frozen=True)
class FileOutcome:
    """What became of one landing file: a ledger row (with the file read, if it loads), or only a new mtime."""

    ledger_row: dict | None = None
    read: ReadExport | None = None  # typed later, with the other files of its batch
    stat: tuple[int, int] | None = None
    touched: dict | None = None


@dataclass
class WaitingFiles:
    """Files read but not typed yet, and each file's ledger row in file order (filled in as files are typed).

    Files are typed together (`parse.type_exports`): one Arrow call per column for
    a batch of files, where typing file by file cost as many calls per file.
    """

    mapping: ExportMapping
    quarantine_dir: Path
    loaded_hashes: dict[str, str]  # the resource's own: a file typed with rows joins it, for the duplicate test
    outcomes: list[dict | None] = field(default_factory=list)
    waiting: list[tuple[int, LandingFile, FileOutcome]] = field(default_factory=list)
    rows: int = 0
    typed: list[pa.Table] = field(default_factory=list)
    typed_rows: int = 0

    def add(self, file: LandingFile, outcome: FileOutcome) -> None:
        if outcome.read is not None:
            self.waiting.append((len(self.outcomes), file, outcome))
            self.rows += outcome.read.rows
        self.outcomes.append(outcome.ledger_row)

    def holds(self, file_hash: str) -> bool:
        return any(outcome.ledger_row["file_hash"] == file_hash for _, _, outcome in self.waiting)

    def type_files(self) -> None:
        """Type the waiting files: each one's ledger row says loaded (and from which day) or rejected."""
        results = type_exports([outcome.read for _, _, outcome in self.waiting], self.mapping)
        for (slot, file, outcome), result in zip(self.waiting, results):
            row, timezone = outcome.ledger_row, outcome.read.context.timezone
            if isinstance(result, RejectedFile):
                rejected = _rejection(file, outcome.stat, row["file_hash"], result, self.mapping, self.quarantine_dir)
                self.outcomes[slot] = rejected.ledger_row if rejected is not None else None
                continue
            self.outcomes[slot] = {**row, "first_business_date": first_business_date(result, timezone)}
            if result.num_rows:
                self.loaded_hashes[row["file_hash"]] = file.relative_path
            self.typed.append(result)
            self.typed_rows += result.num_rows
        self.waiting, self.rows = [], 0

    def take_typed(self) -> pa.Table:
        table = pa.concat_tables(self.typed) if self.typed else raw_arrow_schema(self.mapping).empty_table()
        self.typed, self.typed_rows = [], 0
        return table


def _process(file: LandingFile, previous: dict | None, mapping: ExportMapping, scan: LandingScan,
             loaded_hashes: dict[str, str], quarantine_dir: Path, waiting: WaitingFiles | None = None) -> FileOutcome | None:
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
            return FileOutcome(touched={**previous, **file_stat_columns(*stat)})
        if file.problem:  # where it lies or what it is named says it cannot load, whatever its content
            raise RejectedFile(file.relative_path, file.problem)
        if waiting is not None and waiting.holds(file_hash):
            waiting.type_files()  # a copy of a file not typed yet: it is a duplicate only if that one loads
        original = loaded_hashes.get(file_hash)
        if original and original != file.relative_path:
            return FileOutcome(ledger_row(file, "duplicate", stat, file_hash=file_hash, fingerprint=mapping.fingerprint,
                                          reason=f"same content as {original}, already loaded"))
        shop = scan.shops.get(file.shop_code) if file.shop_code else None
        context = FileContext(path=file.path, relative_path=file.relative_path, file_hash=file_hash, mtime_ns=stat[1],
                              platform=file.platform, shop_code=file.shop_code,
                              timezone=shop.timezone if shop else scan.default_timezone)
        exported = read_mapped(context, mapping)
        return FileOutcome(ledger_row(file, "loaded", stat, rows=exported.rows, file_hash=file_hash,
                                      fingerprint=mapping.fingerprint), exported, stat)

    try:
        return within_file_boundary(file.relative_path, read)
    except RejectedFile as error:
        return _rejection(file, stat, file_hash, error, mapping, quarantine_dir)


def _rejection(file: LandingFile, stat: tuple[int, int] | None, file_hash: str | None, error: RejectedFile,
               mapping: ExportMapping, quarantine_dir: Path) -> FileOutcome | None:
    if not file.path.exists():
        return None  # moved or deleted since the scan: nothing to reject; a later scan sees where it went
    quarantine(file, quarantine_dir, str(error))
    return FileOutcome(ledger_row(file, "rejected", stat, file_hash=file_hash, error=error, fingerprint=mapping.fingerprint))


def _stat_or_none(file: LandingFile) -> tuple[int, int] | None:
    try:
        return file.stat()
    except OSError:
        return None


def _shops_resource(scan: Callable[[], LandingScan], quarantine_dir: Path, report: IngestReport) -> DltResource:
    """The shop registry, plus the files lying where no export belongs (reported, never lost)."""

    def load_shops() -> Iterator:
        current = scan()
        yield to_ledger()  # the ledger exists even before the first file
        yield pa.Table.from_pylist(
            [{**vars(shop), "_source_file": SHOPS_FILE} for shop in current.shops.values()], schema=SHOPS_SCHEMA
        )
        for file in current.misplaced:
            error = RejectedFile(file.relative_path, file.problem or "misplaced")
            quarantine(file, quarantine_dir, str(error))
            row = ledger_row(file, "rejected", _stat_or_none(file), error=error)
            report.outcomes.append(row)
            yield to_ledger(row)

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
