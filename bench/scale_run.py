"""One build_everything run in a process of its own, for bench_scale.py: its memory is the run's alone.

Settings come from the environment (ECOMOPS_TARGET, ECOMOPS_POSTGRES_URL, ECOMOPS_DUCKDB_MEMORY_LIMIT ...) and
the arguments; writes the wall time and every step's start and end (epoch seconds, Dagster's event log) as JSON.

    python bench/scale_run.py LANDING WAREHOUSE FIRST_DAY RESULT.json
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path


def run(landing: Path, warehouse: Path, first_day: dt.date) -> dict:
    import dagster as dg

    from ecomops.settings import get_settings
    from orchestration.run import build_everything_in_process

    # The daily partitions start with the data.
    settings = get_settings({**os.environ, "ECOMOPS_FIRST_BUSINESS_DATE": first_day.isoformat()},
                            landing=landing.resolve(), warehouse=warehouse.resolve())
    with dg.DagsterInstance.ephemeral() as instance:
        started = time.perf_counter()
        result = build_everything_in_process(settings, instance, log_level="ERROR")
        wall = time.perf_counter() - started
        bounds: dict[str, list[float]] = defaultdict(list)
        for entry in instance.all_logs(result.run_id):
            event = entry.dagster_event
            if event and event.step_key and event.event_type_value in ("STEP_START", "STEP_SUCCESS"):
                bounds[event.step_key].append(entry.timestamp)
    return {"success": result.success, "run_id": result.run_id, "wall": wall,
            "steps": {step: [min(times), max(times)] for step, times in bounds.items()}}


def main() -> None:
    landing, warehouse, first_day, result = sys.argv[1:5]
    outcome = run(Path(landing), Path(warehouse), dt.date.fromisoformat(first_day))
    Path(result).write_text(json.dumps(outcome, indent=1))
    raise SystemExit(0 if outcome["success"] else 1)


if __name__ == "__main__":
    main()
