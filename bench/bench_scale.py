"""Benchmark: a full build and a one-day run at 50 shops x 365 days (about 10M order lines), per warehouse target.

    python bench/bench_scale.py [--shops 50] [--days 365] [--compare-shops 10] [--targets duckdb,postgres]
                                [--out bench/out/scale]

Generates `--days` of history plus one more day ending yesterday (a landing generated with the same arguments
on the same day is reused: a marker file holds them), builds the history from an empty warehouse (the full
build), delivers the last day's files and runs again (the one-day run). Each run is a process of its own
(bench/scale_run.py), sampled for peak resident memory (its process tree: dbt runs as a subprocess), and the
Postgres server's processes likewise. Per step (Dagster's event log): wall time, input rows per second, peak
memory. The same full build at `--compare-shops` shops tells which steps grow faster than their input.
Targets: peak memory under 4 GB on DuckDB; the one-day run under 5% of the full build; no step's time ratio
over its input ratio above 1.2 (timing noise on a shared machine).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from daily_delivery import deliver, hold_back_day
from peak_memory import PeakMemory, gb

SCALE_RUN = Path(__file__).with_name("scale_run.py")
MEMORY_TARGET_BYTES = 4 * 2**30
ONE_DAY_TARGET = 0.05
GROWTH_TOLERANCE = 1.2
SEED = 7
# The rows each step reads: raw rows loaded by the run (landing, raw gates), all raw rows (dbt's first step),
# the marts' rows (everything after it).
RAW_LOADED, RAW, MARTS = "raw loaded", "raw", "marts"
STEP_INPUT = {"landing_files": RAW_LOADED, "raw_quality_gates": RAW_LOADED, "transform_models": RAW}


@dataclass
class Run:
    wall: float
    steps: dict[str, tuple[float, float]]  # step -> (start, end) epoch seconds
    rows: dict[str, int]  # input kind -> rows
    memory: PeakMemory
    server_memory: PeakMemory | None

    def seconds(self, step: str) -> float:
        start, end = self.steps[step]
        return end - start

    def input_rows(self, step: str) -> int:
        return self.rows[STEP_INPUT.get(step, MARTS)]


def landing(out: Path, shops: int, days: int) -> tuple[Path, dt.date]:
    """A landing of `days` + 1 days ending yesterday, generated once per arguments: a landing made on an earlier
    day (the marker holds its arguments and first day) is reused, its data ends in the past all the same."""
    from demo_data import generate

    folder = out / f"landing-{shops}x{days + 1}"
    marker = folder / ".generated.json"
    arguments = {"shops": shops, "days": days + 1, "seed": SEED}
    made = json.loads(marker.read_text()) if marker.exists() else {}
    if {key: made.get(key) for key in arguments} == arguments:
        return folder, dt.date.fromisoformat(made["start"])
    start = dt.date.today() - dt.timedelta(days=days + 1)
    shutil.rmtree(folder, ignore_errors=True)
    generate(folder, shops=shops, days=days + 1, start=start, seed=SEED)
    marker.write_text(json.dumps({**arguments, "start": start.isoformat()}))
    return folder, start


def _count_rows(target: str, warehouse: Path, url: str | None) -> dict[str, int]:
    """Rows per schema of the tables (not dlt's bookkeeping)."""
    if target == "postgres":
        import psycopg2

        connection = psycopg2.connect(url)
        try:
            with connection.cursor() as cursor:
                cursor.execute("select table_schema, table_name from information_schema.tables "
                               "where table_type = 'BASE TABLE' and table_schema in ('raw', 'marts')")
                totals: dict[str, int] = {}
                for schema, table in cursor.fetchall():
                    if not table.startswith("_dlt"):
                        cursor.execute(f'select count(*) from "{schema}"."{table}"')
                        totals[schema] = totals.get(schema, 0) + cursor.fetchone()[0]
                return totals
        finally:
            connection.close()
    from ecomops.settings import get_settings
    from orchestration.lib.warehouse import WarehouseResource

    return WarehouseResource.from_settings(get_settings(os.environ, warehouse=warehouse)).rows_by_schema()


def _postmaster(server_dir: Path) -> int:
    return int((server_dir / "data" / "postmaster.pid").read_text().split()[0])


def run(label: str, target: str, landing_dir: Path, first_day: dt.date, out: Path, server: tuple[str, Path] | None,
        raw_before: int = 0) -> Run:
    """One build_everything in a process of its own, sampled; `label` names its warehouse (file or database)."""
    warehouse = out / f"{target}-{label}.duckdb"
    env = {**os.environ, "ECOMOPS_TARGET": target}
    url = None
    if target == "postgres":
        from postgres_server import create_database, database_url

        database = f"scale_{label}"
        url = env["ECOMOPS_POSTGRES_URL"] = (database_url(server[0], database) if raw_before
                                             else create_database(server[0], database))
    result = out / f"{target}-{label}.{raw_before}.json"
    with open(out / f"{target}-{label}.log", "a") as log:
        process = subprocess.Popen([sys.executable, str(SCALE_RUN), str(landing_dir), str(warehouse),
                                    first_day.isoformat(), str(result)], env=env, stdout=log, stderr=subprocess.STDOUT)
        with ExitStack() as sampling:
            memory = sampling.enter_context(PeakMemory([process.pid]))
            server_memory = sampling.enter_context(PeakMemory([_postmaster(server[1])])) if server else None
            returncode = process.wait()
    assert returncode == 0, f"{target} run {label} failed: see {out / f'{target}-{label}.log'}"
    outcome = json.loads(result.read_text())
    counts = _count_rows(target, warehouse, url)
    rows = {RAW_LOADED: counts.get("raw", 0) - raw_before, RAW: counts.get("raw", 0), MARTS: counts.get("marts", 0)}
    return Run(outcome["wall"], {k: tuple(v) for k, v in outcome["steps"].items()}, rows, memory, server_memory)


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISS"


def report(target: str, full: Run, one_day: Run, sizes: str) -> None:
    """The table of the full build and the one-day run, and their targets."""
    print(f"\n{target}: {sizes}")
    print(f"  {'step':<26}{'full build':>11}{'rows/s':>11}{'peak RSS':>10}{'one day':>9}{'rows/s':>9}{'peak RSS':>10}")
    for step in sorted(full.steps, key=full.seconds, reverse=True):
        line = f"  {step:<26}"
        for measured, width in ((full, 11), (one_day, 9)):
            if step in measured.steps:
                seconds = measured.seconds(step)
                rate = measured.input_rows(step) / seconds if seconds else 0
                peak = measured.memory.peak_between(*measured.steps[step])
                line += f"{seconds:>{width - 1}.1f}s{rate:>{width}.0f}{gb(peak):>10}"
            else:
                line += f"{'-':>{width}}{'':>{width}}{'':>10}"
        print(line)
    print(f"  {'whole run':<26}{full.wall:>10.1f}s{'':>11}{gb(full.memory.peak_bytes):>10}"
          f"{one_day.wall:>8.1f}s{'':>9}{gb(one_day.memory.peak_bytes):>10}")
    if full.server_memory:
        print(f"  Postgres server, peak RSS: full build {gb(full.server_memory.peak_bytes)}, "
              f"one day {gb(one_day.server_memory.peak_bytes)}")
    peak = max(full.memory.peak_bytes, one_day.memory.peak_bytes)
    if target == "duckdb":
        print(f"  peak memory of the run: {gb(peak)} (target < 4 GB): {_verdict(peak < MEMORY_TARGET_BYTES)}")
    ratio = one_day.wall / full.wall
    print(f"  one-day run / full build: {ratio:.1%} (target < 5%): {_verdict(ratio < ONE_DAY_TARGET)}", flush=True)


def report_growth(target: str, full: Run, small: Run) -> None:
    """Each step's time ratio over its input ratio, full build against the smaller one."""
    print(f"\n{target}: growth against {small.rows[RAW]:,} raw rows (time ratio / input ratio)")
    growth = {step: (full.seconds(step) / small.seconds(step)) / (full.input_rows(step) / small.input_rows(step))
              for step in full.steps if step in small.steps and small.seconds(step) > 0 and small.input_rows(step)}
    print(f"  {'step':<26}{'smaller':>10}{'full':>10}{'growth':>8}")
    for step in sorted(growth, key=full.seconds, reverse=True):
        flag = "" if growth[step] <= GROWTH_TOLERANCE or full.seconds(step) < 1 else " MISS"
        print(f"  {step:<26}{small.seconds(step):>9.1f}s{full.seconds(step):>10.1f}s{growth[step]:>8.2f}{flag}")
    worst = max((growth[step], step) for step in growth if full.seconds(step) >= 1)
    print(f"  worst: {worst[0]:.2f} ({worst[1]}; target <= {GROWTH_TOLERANCE}): "
          f"{_verdict(worst[0] <= GROWTH_TOLERANCE)}", flush=True)


def bench_target(target: str, args: argparse.Namespace, out: Path, server: tuple[str, Path] | None) -> None:
    complete, start = landing(out, args.shops, args.days)
    new_day = start + dt.timedelta(days=args.days)
    history = out / f"history-{args.shops}x{args.days}"
    shutil.rmtree(history, ignore_errors=True)
    new_files = hold_back_day(complete, history, new_day, copy_function=os.link)  # links: no second copy on disk
    (warehouses := out / "warehouses").mkdir(exist_ok=True)
    full = run(f"{args.shops}x{args.days}", target, history, start, warehouses, server)
    deliver(complete, history, new_files)
    one_day = run(f"{args.shops}x{args.days}", target, history, start, warehouses, server, raw_before=full.rows[RAW])
    # Printed before the comparison's run: the longest figures are not lost when it fails.
    report(target, full, one_day, f"{args.shops} shops x {args.days} days ({full.rows[RAW]:,} raw rows), "
                                  f"then {len(new_files)} files of day {new_day:%Y%m%d}")
    if args.compare_shops:
        small_landing, small_start = landing(out, args.compare_shops, args.days)
        small = run(f"{args.compare_shops}x{args.days}", target, small_landing, small_start, warehouses, server)
        report_growth(target, full, small)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shops", type=int, default=50)
    parser.add_argument("--days", type=int, default=365, help="days of history before the new day")
    parser.add_argument("--compare-shops", type=int, default=10, help="the smaller size (0: no comparison)")
    parser.add_argument("--targets", default="duckdb", help="comma-separated: duckdb, postgres")
    parser.add_argument("--out", default="bench/out/scale")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(out / "warehouses", ignore_errors=True)  # landings are kept (reused), warehouses never
    for target in args.targets.split(","):
        if target == "postgres":
            from postgres_server import start, stop

            server_dir = Path(tempfile.mkdtemp(prefix="ecomops-bench-pg-"))  # initdb runs as `postgres` under root
            try:
                bench_target(target, args, out, (start(server_dir), server_dir))
            finally:
                stop(server_dir)
                shutil.rmtree(server_dir, ignore_errors=True)
        else:
            bench_target(target, args, out, None)


if __name__ == "__main__":
    main()
