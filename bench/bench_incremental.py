"""Benchmark: a one-day run after a history load, against a full rebuild of the same data.

The figure is the ratio measured in one run: wall time of the run that receives
one new day of export files ÷ wall time of building the same landing from an
empty warehouse (aim: under 10% at 365 days of history). Per-step times show
where the incremental run still spends time in proportion to history.

    python bench/bench_incremental.py [--shops 20] [--days 365] [--out bench/out/incremental]

At the defaults it takes about 25 minutes on 2 cores; `--shops 10` about 10.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
from pathlib import Path

from daily_delivery import deliver, hold_back_day
from scale_run import run
from demo_data import generate


def _build(landing: Path, warehouse: Path, first_day: dt.date) -> tuple[float, dict[str, float]]:
    """One in-process run of build_everything (bench/scale_run.py); wall seconds and seconds per step."""
    outcome = run(landing, warehouse, first_day)
    assert outcome["success"], f"run {outcome['run_id']} failed"
    return outcome["wall"], {step: end - start for step, (start, end) in outcome["steps"].items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shops", type=int, default=20)
    parser.add_argument("--days", type=int, default=365, help="days of history before the new day")
    parser.add_argument("--out", default="bench/out/incremental")
    args = parser.parse_args()
    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)

    # Same seed, one more day: the first days' files are the same bytes, the last day's are new.
    # The new day is yesterday: the quality gates reject business dates in the future.
    start = dt.date.today() - dt.timedelta(days=args.days + 1)
    complete = out / "complete"
    generate(complete, shops=args.shops, days=args.days + 1, start=start)
    new_day = start + dt.timedelta(days=args.days)
    history = out / "history"
    new_files = hold_back_day(complete, history, new_day)

    _build(history, out / "incremental.duckdb", start)
    deliver(complete, history, new_files)
    incremental_s, incremental_steps = _build(history, out / "incremental.duckdb", start)
    full_s, full_steps = _build(complete, out / "full.duckdb", start)

    print(f"history: {args.shops} shops x {args.days} days, then {len(new_files)} files of day {new_day:%Y%m%d}")
    print(f"{'step':<28}{'one new day':>12}{'full rebuild':>14}")
    for step in sorted(full_steps, key=full_steps.get, reverse=True):
        print(f"  {step:<26}{incremental_steps.get(step, 0):>11.1f}s{full_steps[step]:>13.1f}s")
    print(f"  {'whole run':<26}{incremental_s:>11.1f}s{full_s:>13.1f}s")
    print(f"ratio one-day run / full rebuild: {incremental_s / full_s:.1%} (target < 10% at 365 days)")


if __name__ == "__main__":
    main()
