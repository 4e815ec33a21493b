"""`ecomops`: generate demo exports, run the pipeline through Dagster, report what landed."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

from ecomops.settings import get_settings


def _generate(args: argparse.Namespace) -> int:
    from ecomops.demo_data import generate

    start = dt.date.fromisoformat(args.start) if args.start else None
    summary = generate(Path(args.out), shops=args.shops, days=args.days, start=start, seed=args.seed)
    print(f"wrote demo landing to {args.out}: {summary}")
    return 0


def _dagster_instance():
    from dagster import DagsterInstance

    home = os.environ.get("DAGSTER_HOME")
    if home:
        Path(home).mkdir(parents=True, exist_ok=True)
        return DagsterInstance.get()
    return DagsterInstance.ephemeral()


def _run(args: argparse.Namespace) -> int:
    # Paths are fixed before the definitions load, so the run uses exactly what the UI would.
    if args.landing:
        os.environ["ECOMOPS_LANDING"] = str(Path(args.landing).resolve())
    if args.warehouse:
        os.environ["ECOMOPS_WAREHOUSE"] = str(Path(args.warehouse).resolve())
    from ecomops.report import print_run_summary
    from orchestration.definitions import defs
    from orchestration.jobs import BUILD_EVERYTHING

    job = defs().resolve_job_def(BUILD_EVERYTHING)
    with _dagster_instance() as instance:
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
        )
    failed = [event.step_key for event in result.all_events if event.is_step_failure]
    print_run_summary(get_settings(), failed_steps=failed)
    if not result.success:
        print(f"run {result.run_id} FAILED in: {', '.join(failed) or 'run setup'}", file=sys.stderr)
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ecomops", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    generate = commands.add_parser("generate", help="write a realistic demo landing folder")
    generate.add_argument("--out", required=True, help="landing folder to write")
    generate.add_argument("--shops", type=int, default=5, help="number of shops (5+ covers every platform)")
    generate.add_argument("--days", type=int, default=30, help="days of history")
    generate.add_argument("--start", help="first day, YYYY-MM-DD")
    generate.add_argument("--seed", type=int, default=7, help="same seed, same bytes")
    generate.set_defaults(handler=_generate)

    run = commands.add_parser("run", help="materialize every asset in-process through Dagster")
    run.add_argument("--landing", help="landing folder (default $ECOMOPS_LANDING or data/landing)")
    run.add_argument("--warehouse", help="DuckDB file (default $ECOMOPS_WAREHOUSE or data/warehouse.duckdb)")
    run.set_defaults(handler=_run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
