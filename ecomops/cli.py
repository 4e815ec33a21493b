"""`ecomops`: generate demo exports, run the pipeline through Dagster, sync platform APIs, report what landed."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from ecomops.settings import Settings, dagster_home, get_settings


def _generate(args: argparse.Namespace) -> int:
    from demo_data import generate

    start = dt.date.fromisoformat(args.start) if args.start else None
    summary = generate(Path(args.out), shops=args.shops, days=args.days, start=start, seed=args.seed)
    print(f"wrote demo landing to {args.out}: {summary}")
    return 0


def _dagster_instance():
    """The instance `dagster dev` shows (see `dagster_home`), else a throwaway one."""
    from dagster import DagsterInstance

    home = dagster_home()
    if home:
        home.mkdir(parents=True, exist_ok=True)
        return DagsterInstance.from_config(str(home.resolve()))
    return DagsterInstance.ephemeral()


def _settings(args: argparse.Namespace) -> Settings:
    """The environment's settings, with the paths the arguments give: what the definitions are built from."""
    return get_settings(landing=args.landing and Path(args.landing).resolve(),
                        warehouse=args.warehouse and Path(args.warehouse).resolve())


def _run(args: argparse.Namespace) -> int:
    from ecomops.run_summary import print_run_summary
    from orchestration.run import build_everything_in_process

    settings = _settings(args)
    with _dagster_instance() as instance:
        result = build_everything_in_process(settings, instance)
    failed = [event.step_key for event in result.all_events if event.is_step_failure]
    print_run_summary(settings, failed_steps=failed, semantic_manifest=settings.semantic_manifest)
    if not result.success:
        print(f"run {result.run_id} FAILED in: {', '.join(failed) or 'run setup'}", file=sys.stderr)
        for check in _failed_blocking_checks(result):
            print(f"  blocking check failed: {check.asset_key.to_user_string()} {check.check_name}: {check.description}",
                  file=sys.stderr)
        return 1
    return 0


def _check_evaluations(result) -> list:
    return [event.asset_check_evaluation_data for event in result.all_events
            if event.event_type_value == "ASSET_CHECK_EVALUATION"]


def _failed_blocking_checks(result) -> list:
    from dagster import AssetCheckSeverity

    return [e for e in _check_evaluations(result)
            if not e.passed and e.blocking and e.severity == AssetCheckSeverity.ERROR]


def _check(args: argparse.Namespace) -> int:
    from orchestration.definitions import build_definitions
    from orchestration.lib.in_process import execute_job_in_process
    from orchestration.quality.definitions import QUALITY_GATES, raw_gate_steps, selected_gates

    job = build_definitions(_settings(args)).resolve_job_def(QUALITY_GATES)
    checks = selected_gates(job, args.select)
    if not checks:
        print(f"no quality gate matches {' '.join(args.select)}", file=sys.stderr)
        return 2
    run_config = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}  # the report below says it all
    subset = job.get_subset(asset_check_selection=checks)
    if args.all_rows:
        run_config["ops"] = {step: {"config": {"all_rows": True}} for step in raw_gate_steps(subset)}
    with _dagster_instance() as instance:
        result = execute_job_in_process(subset, instance, raise_on_error=False, run_config=run_config)
    evaluations = sorted(_check_evaluations(result), key=lambda e: e.asset_key)
    for evaluation in evaluations:
        report = evaluation.metadata.get("report")
        print(report.value if report else f"{evaluation.asset_key.to_user_string()}: {evaluation.description}")
    blocking = _failed_blocking_checks(result)
    warned = sum(not e.passed for e in evaluations) - len(blocking)
    print(f"\n{len(evaluations)} suites: {len(blocking)} blocking failures, {warned} with warnings (run {result.run_id})")
    if not result.success:
        failed = ", ".join(e.asset_key.to_user_string() for e in blocking) or "the gate step"
        print(f"quality check FAILED: {failed}", file=sys.stderr)
        return 1
    return 0


def _serve(args: argparse.Namespace) -> int:
    from dashboard import serve
    from dashboard.access import AccessConfigError
    from dashboard.app import MartsSourceError

    try:
        serve(_settings(args), host=args.host, port=args.port)
    except (AccessConfigError, MartsSourceError) as error:
        print(error, file=sys.stderr)
        return 2
    return 0


def _simulate(args: argparse.Namespace) -> int:
    """The platform simulator for trying sync without credentials: demo orders up to today, the clock on
    real time; prints one JSON line (base URL, per-platform addresses, per-shop simulated credentials)."""
    import json
    import signal
    import threading

    from platform_simulator import running_simulator

    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    start = today - dt.timedelta(days=args.days - 1)
    now = dt.datetime.now(dt.timezone.utc)
    stopped = threading.Event()
    # Stop on TERM even where the parent left TERM ignored (inherited across exec: seen under CI runners);
    # set before the JSON line is printed, which tells callers the simulator is up.
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    with running_simulator(args.shops, args.days, args.seed, start, now, port=args.port, follow_wall=True) as sim:
        platforms = sorted({credentials.platform for credentials in sim.credentials.values()})
        print(json.dumps({
            "base_url": sim.base_url,
            "gateways": {platform: sim.gateway(platform) for platform in platforms},
            "token_endpoints": {p: sim.token_endpoint(p) for p in platforms if sim.token_endpoint(p)},
            "shops": {code: vars(credentials) for code, credentials in sim.credentials.items()},
        }, ensure_ascii=False), flush=True)
        try:
            stopped.wait()
        except KeyboardInterrupt:
            pass
    return 0


def _sync(args: argparse.Namespace) -> int:
    """Orders and refunds of the API shops (shops.yaml `sync: api|both`) from the platforms' open APIs into raw,
    with progress after each load; `--since` reads again from that day (a backfill)."""
    from platform_sync import SyncError, sync_platform
    from platform_sync.sync import day_start, progress_line
    from platform_sync.shops import api_shops, missing_credentials

    settings = _settings(args)
    try:
        chosen = api_shops(settings, args.platform, args.shop)
    except ValueError as invalid:
        print(f"ecomops sync: {invalid}", file=sys.stderr)
        return 2
    if not chosen:
        print(f"ecomops sync: no shop of {settings.landing / 'shops.yaml'} has sync: api or both"
              + (f" on {args.platform}" if args.platform else ""), file=sys.stderr)
        return 2
    since = day_start(args.since) if args.since else None
    for platform, shops in chosen.items():
        if missing := missing_credentials(platform):
            print(f"ecomops sync: {platform}: set {' and '.join(missing)} (.dlt/secrets.toml or the environment)",
                  file=sys.stderr)
            return 2

        try:
            stats = sync_platform(settings, platform, shops, backfill=since,
                                  progress=lambda stats, platform=platform: print(progress_line(platform, stats),
                                                                                  flush=True))
        except SyncError as failed:
            print(f"ecomops sync: {failed}", file=sys.stderr)
            return 1
        print(f"{platform} {', '.join(shops)}: {stats.windows} windows, {stats.pages} pages, {stats.records} records, "
              f"{stats.retries} retries, {stats.throttle_waits} throttle waits ({stats.throttle_wait_seconds:.0f} s)")
    return 0


WAREHOUSE_HELP = ("DuckDB file (default $ECOMOPS_WAREHOUSE or data/warehouse.duckdb); its serving copy, quarantine, "
                  "salt and run summary sit beside it, named after it. With ECOMOPS_TARGET=postgres the warehouse is "
                  "the database of $ECOMOPS_POSTGRES_URL, and this path only places those files")


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
    run.add_argument("--warehouse", help=WAREHOUSE_HELP)
    run.set_defaults(handler=_run)

    check = commands.add_parser("check", help="run the quality gates (Great Expectations suites) and print a report")
    check.add_argument("--select", nargs="*", default=[], metavar="ASSET",
                       help="asset keys or globs, e.g. raw/taobao_orders 'raw/*_orders' 'marts/*' (default: every gate)")
    check.add_argument("--all-rows", action="store_true",
                       help="re-validate every raw row, not only the loads that have not passed their gate yet")
    check.add_argument("--landing", help="landing folder (default $ECOMOPS_LANDING or data/landing)")
    check.add_argument("--warehouse", help=WAREHOUSE_HELP)
    check.set_defaults(handler=_check)

    serve = commands.add_parser("serve", help="serve the dashboard and its JSON API on the published serving copy")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (other than loopback needs users)")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--warehouse", help=WAREHOUSE_HELP + " (it reads only the serving copy)")
    serve.set_defaults(handler=_serve, landing=None)

    sync = commands.add_parser("sync", help="pull orders and refunds of the API shops (shops.yaml sync: api|both) "
                                            "from the platforms' open APIs into raw")
    sync.add_argument("--platform", help="only this platform (taobao, tmall, jd, pdd, douyin)")
    sync.add_argument("--shop", help="only this shop code")
    sync.add_argument("--since", help="read again from this day, YYYY-MM-DD (GMT+8): a backfill")
    sync.add_argument("--landing", help="landing folder whose shops.yaml lists the shops (default $ECOMOPS_LANDING)")
    sync.add_argument("--warehouse", help=WAREHOUSE_HELP)
    sync.set_defaults(handler=_sync)

    simulate = commands.add_parser("simulate", help="serve simulated Taobao/Tmall, JD, Pinduoduo and Douyin open APIs "
                                                    "on 127.0.0.1 over demo orders up to today (try sync without "
                                                    "credentials)")
    simulate.add_argument("--port", type=int, default=8766)
    simulate.add_argument("--shops", type=int, default=5, help="number of shops (5+ covers every platform)")
    simulate.add_argument("--days", type=int, default=7, help="days of orders, ending today")
    simulate.add_argument("--seed", type=int, default=7)
    simulate.set_defaults(handler=_simulate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
