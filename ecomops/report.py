"""The short summary a run ends with: what landed, what was rejected, where to look."""

from __future__ import annotations

import duckdb

from ecomops.settings import Settings


def print_run_summary(settings: Settings, failed_steps: list[str]) -> None:
    if not settings.warehouse.exists():
        print(f"no warehouse at {settings.warehouse}")
        return
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        tables = con.execute(
            "select table_name from information_schema.tables "
            "where table_schema = 'raw' and table_name not like '\\_dlt%' escape '\\' order by 1"
        ).fetchall()
        counts = [(t, con.execute(f'select count(*) from raw."{t}"').fetchall()[0][0]) for (t,) in tables]
        rejected = con.execute(
            "select _source_file, reason from raw.ingest_files where status = 'rejected' order by 1"
        ).fetchall() if any(t == "ingest_files" for t, _ in counts) else []
    print("\nraw tables (rows):")
    width = max((len(t) for t, _ in counts), default=10)
    for table, rows in counts:
        print(f"  raw.{table:<{width}} {rows:>10,}")
    print(f"\nrejected files: {len(rejected)}" + (" (copies and reasons in " + str(settings.quarantine) + ")" if rejected else ""))
    for _, reason in rejected:
        print(f"  - {reason}")
    if failed_steps:
        print(f"\nfailed steps: {', '.join(failed_steps)}")
    print(f"\nwarehouse: {settings.warehouse.resolve()}")
    print("open the Dagster UI with `make ui`, then http://127.0.0.1:3000")
