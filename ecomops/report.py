"""The short summary a run ends with: what landed, what was rejected, where to look."""

from __future__ import annotations

import duckdb

from ecomops.settings import Settings
from ingestion.mapping import load_mappings


def _raw_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    tables = con.execute("select table_name from information_schema.tables where table_schema = 'raw'").fetchall()
    return {t: con.execute(f'select count(*) from raw."{t}"').fetchall()[0][0] for (t,) in tables}


def _rows_table(counts: dict[str, int], settings: Settings) -> list[str]:
    """Rows per raw table as a platform × kind grid, ERP kinds on their own line."""
    by_table = load_mappings(settings.mappings).by_table
    lines = []
    for group in (False, True):
        mappings = [m for m in by_table.values() if m.is_erp == group]
        kinds = list(dict.fromkeys(m.kind for m in mappings))
        owners = list(dict.fromkeys(m.platform for m in mappings))
        width = max(len(k) for k in kinds) + 1
        lines.append(f"  {'':<8}" + "".join(f"{k:>{width}}" for k in kinds))
        for owner in owners:
            cells = "".join(f"{counts.get(f'{owner}_{k}', 0):>{width},}" for k in kinds)
            lines.append(f"  {owner:<8}{cells}")
    return lines


def print_run_summary(settings: Settings, failed_steps: list[str]) -> None:
    if not settings.warehouse.exists():
        print(f"no warehouse at {settings.warehouse}")
        return
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        counts = _raw_counts(con)
        rejected = con.execute(
            "select reason from raw.ingest_files where status = 'rejected' order by _source_file"
        ).fetchall() if "ingest_files" in counts else []
    print("\nraw rows per table (raw.<platform>_<kind>, raw.erp_<kind>):")
    print("\n".join(_rows_table(counts, settings)))
    print(f"  shops registered: {counts.get('shops', 0)}; files tracked: {counts.get('ingest_files', 0)}")
    print(f"\nrejected files: {len(rejected)}" + (f" (copies and reasons in {settings.quarantine})" if rejected else ""))
    for (reason,) in rejected:
        print(f"  - {reason}")
    if failed_steps:
        print(f"\nfailed steps: {', '.join(failed_steps)}")
    print(f"\nwarehouse: {settings.warehouse.resolve()}")
    print("open the Dagster UI with `make ui`, then http://127.0.0.1:3000")
