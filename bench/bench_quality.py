"""Benchmark: what the quality gates cost, next to building the assets they gate.

Generates a landing, then runs `build_everything` through Dagster twice: the first run
loads and gates the whole history, the second only the last day (held back from the first
run), the way a daily run sees it. From the runs' own step timings it prints:

- gate seconds per million rows validated (raw gates: rows of the new loads; mart gates:
  the marts' recent window);
- gate time ÷ build time of what it gates: raw gates ÷ the dlt load step, mart gates ÷ the
  dbt build step.

    python bench/bench_quality.py [--shops 10] [--days 60] [--out bench/out/quality]
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
from datetime import date, timedelta
from pathlib import Path

from daily_delivery import deliver, hold_back_day
from demo_data import generate

LOAD, RAW_GATES, DBT, MART_GATES = "dlt load", "raw gates", "dbt build", "mart gates"
# Steps of build_everything per phase: dbt builds, and gates the marts, in two steps (daily KPI models apart).
STEPS = {LOAD: ["landing_files"], RAW_GATES: ["raw_quality_gates"],
         DBT: ["transform_models", "daily_kpi_models"], MART_GATES: ["mart_quality_gates", "kpi_quality_gates"]}


def _run_build_everything(settings, instance) -> dict:
    """One in-process run; seconds per step and rows validated per gate step."""
    from orchestration.quality.checks import GATE_CHECK
    from orchestration.run import build_everything_in_process

    result = build_everything_in_process(settings, instance, log_level="ERROR")
    step_seconds = {e.step_key: e.event_specific_data.duration_ms / 1000 for e in result.all_events if e.is_step_success}
    seconds = {phase: sum(step_seconds.get(step, 0) for step in steps) for phase, steps in STEPS.items()}
    rows = {RAW_GATES: 0, MART_GATES: 0}
    for event in result.all_events:
        evaluation = event.asset_check_evaluation_data if event.event_type_value == "ASSET_CHECK_EVALUATION" else None
        if evaluation and evaluation.check_name == GATE_CHECK:
            step = RAW_GATES if evaluation.asset_key.path[0] == "raw" else MART_GATES
            rows[step] += evaluation.metadata["rows_validated"].value
    failed = [e.step_key for e in result.all_events if e.is_step_failure]
    if failed:
        raise SystemExit(f"run {result.run_id} failed in {failed}")
    return {"seconds": seconds, "rows": rows}


def _report(label: str, run: dict) -> None:
    s, rows = run["seconds"], run["rows"]
    print(f"\n{label}")
    for gate, build, what in ((RAW_GATES, LOAD, "raw gates vs dlt load"), (MART_GATES, DBT, "mart gates vs dbt build")):
        per_million = s[gate] / rows[gate] * 1e6 if rows[gate] else float("nan")
        print(f"  {what:<24} {rows[gate]:>11,} rows validated in {s[gate]:6.2f}s = {per_million:6.2f}s per million rows; "
              f"build {s[build]:6.2f}s; gate/build = {s[gate] / s[build]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shops", type=int, default=10)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--out", type=Path, default=Path("bench/out/quality"))
    args = parser.parse_args()

    shutil.rmtree(args.out, ignore_errors=True)
    generated, landing = args.out / "generated", args.out / "landing"
    started = time.perf_counter()
    # Ending yesterday: the gates reject dates in the future.
    summary = generate(generated, shops=args.shops, days=args.days, start=date.today() - timedelta(days=args.days))
    print(f"generated in {time.perf_counter() - started:.0f}s: {summary}".splitlines()[0])
    last_day_files = hold_back_day(generated, landing, summary.start + timedelta(days=args.days - 1))

    from dagster import DagsterInstance

    from ecomops.settings import get_settings

    # The daily partitions start with the data; every file of the run lies below --out.
    settings = get_settings({**os.environ, "ECOMOPS_FIRST_BUSINESS_DATE": summary.start.isoformat()},
                            landing=landing.resolve(), warehouse=(args.out / "warehouse.duckdb").resolve())
    home = args.out / "dagster_home"
    home.mkdir(parents=True)
    with DagsterInstance.from_config(str(home.resolve())) as instance:
        _report(f"first run: {args.shops} shops x {args.days - 1} days of history",
                _run_build_everything(settings, instance))
        deliver(generated, landing, last_day_files)
        _report(f"daily run: day {args.days} only ({len(last_day_files)} files)", _run_build_everything(settings, instance))


if __name__ == "__main__":
    main()
