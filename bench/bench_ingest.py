"""Benchmark: generate a landing, ingest it, and compare with plain DuckDB read_csv on the same CSV files.

The figure that matters is the ratio measured in one run on one machine:
DuckDB rows/s ÷ ingest rows/s (aim: under 2, issue 13). DuckDB reads every CSV file of
the landing as text, one multi-file read per raw table, with the header row found the same way
ingestion finds it. It cannot read GBK, so those files are transcoded to UTF-8
copies before the clock starts; it does no typing, null tokens, mapping,
lineage, hashing or merging, and skips the XLSX files: a floor, not a peer.

    python bench/bench_ingest.py [--shops 10] [--days 60] [--out bench/out]
"""

from __future__ import annotations

import argparse
import csv
import shutil
import time
from collections import defaultdict
from pathlib import Path

import dlt
import duckdb

from demo_data import generate
from ingestion import load_landing
from ingestion.files import HEADER_SEARCH_ROWS, find_header
from ingestion.landing import scan_landing
from ingestion.mapping import load_mappings
from ingestion.pipeline import PIPELINE_NAME


def _csv_files(landing: Path) -> list[tuple[Path, str]]:
    """The CSV exports ingestion would load, each with its raw table (the same landing scan)."""
    mappings = load_mappings()
    scan = scan_landing(landing, mappings.by_table, mappings.platforms)
    return [(f.path, table) for table, files in scan.by_table.items() for f in files if f.path.suffix.lower() == ".csv"]


def _duckdb_readable(path: Path, aliases: set[str], scratch: Path) -> tuple[Path, int]:
    """A UTF-8 file DuckDB can read (GBK files transcoded, untimed), and the lines above its header."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
        readable = path
    except UnicodeDecodeError:  # DuckDB reads no GBK without a downloaded extension
        text = raw.decode("gb18030")
        readable = scratch / f"{len(list(scratch.iterdir()))}.csv"
        readable.write_text(text, encoding="utf-8")
    rows = [next(csv.reader([line]), []) for line in text.splitlines()[:HEADER_SEARCH_ROWS]]
    index, _ = find_header(rows, aliases, str(path))
    return readable, index


def duckdb_baseline(landing: Path, database: Path) -> tuple[int, float]:
    """One multi-file read_csv per raw table (and header offset), the way a DuckDB user would load them."""
    mappings = load_mappings().by_table
    scratch = database.parent / "utf8_copies"
    scratch.mkdir(parents=True, exist_ok=True)
    groups: dict[tuple[str, int], list[str]] = defaultdict(list)
    for path, table in _csv_files(landing):
        readable, skip = _duckdb_readable(path, mappings[table].header_aliases(), scratch)
        groups[(table, skip)].append(str(readable))
    started = time.perf_counter()
    rows = 0
    with duckdb.connect(str(database)) as con:
        for number, ((table, skip), paths) in enumerate(sorted(groups.items())):
            con.execute(
                f"create table {table}_{number} as select * from read_csv(?, all_varchar = true, header = true, "
                f"skip = {skip}, delim = ',', quote = '\"', escape = '\"', union_by_name = true)",
                [paths],
            )
            rows += con.execute(f"select count(*) from {table}_{number}").fetchall()[0][0]
    return rows, time.perf_counter() - started


def dlt_step_seconds(working_dir: Path) -> str:
    """Where the last ingest's time went, from dlt's own trace of the run (extract includes our parsing)."""
    trace = dlt.attach(pipeline_name=PIPELINE_NAME, pipelines_dir=str(working_dir)).last_trace
    return ", ".join(f"{s.step} {(s.finished_at - s.started_at).total_seconds():.1f} s"
                     for s in trace.steps if s.step != "run")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shops", type=int, default=10)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--out", default="bench/out")
    args = parser.parse_args()
    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    landing = out / "landing"

    started = time.perf_counter()
    generate(landing, shops=args.shops, days=args.days)
    generate_s = time.perf_counter() - started
    size_mb = sum(p.stat().st_size for p in landing.rglob("*") if p.is_file()) / 1e6

    started = time.perf_counter()
    report = load_landing(landing, out / "warehouse.duckdb", out / "quarantine", out / ".dlt")
    ingest_s = time.perf_counter() - started
    ingest_steps = dlt_step_seconds(out / ".dlt")
    ingest_rows = sum(o["rows"] for o in report.outcomes)

    started = time.perf_counter()
    rerun = load_landing(landing, out / "warehouse.duckdb", out / "quarantine", out / ".dlt")
    rerun_s = time.perf_counter() - started

    csv_rows, duckdb_s = duckdb_baseline(landing, out / "baseline.duckdb")
    ingest_rate, duckdb_rate = ingest_rows / ingest_s, csv_rows / duckdb_s
    print(f"size: --shops {args.shops} --days {args.days}: {len(report.outcomes)} files, {size_mb:.0f} MB, {ingest_rows:,} rows")
    print(f"generate:           {generate_s:8.1f} s")
    print(f"ingest (dlt):       {ingest_s:8.1f} s  {ingest_rate:12,.0f} rows/s  ({len(report.rejected())} files rejected)")
    print(f"  dlt steps:        {ingest_steps}")
    print(f"rerun, no changes:  {rerun_s:8.1f} s  ({len(rerun.outcomes)} files parsed)")
    print(f"plain DuckDB CSV:   {duckdb_s:8.1f} s  {duckdb_rate:12,.0f} rows/s  ({csv_rows:,} rows from CSV files only)")
    print(f"ratio DuckDB/ingest rows/s: {duckdb_rate / ingest_rate:.2f}x (target <= 2x, issue 13)")


if __name__ == "__main__":
    main()
