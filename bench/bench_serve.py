"""Benchmark: the dashboard at 20 shops × 365 days, API p95 per endpoint and page complete time in Chromium.

Generates the demo landing, runs the pipeline (both timed), starts `ecomops serve` on 127.0.0.1, then
`--clients` concurrent clients send `--requests` requests each to every endpoint (the default range: the
last 30 days of data; the summary over the whole year too). Pages load in Debian's Chromium, one after
another while the same clients keep the API busy; complete = every chart drawn (ECharts `finished`).
Targets: p95 ≤ 100 ms per endpoint, a page complete in ≤ 1.5 s. The dashboard keeps query results per
serving copy (dashboard/result_cache.py), so each endpoint's first request is also timed alone: the cost of
a query nobody asked since the last publication.

    python bench/bench_serve.py [--shops 20] [--days 365] [--clients 4] [--reuse]

`--reuse` keeps a warehouse already built in --out (generation and the run take most of the time);
`--warehouse` measures one built elsewhere (e.g. `make bench-incremental`'s full.duckdb of the same size).
The generated data ends yesterday: the quality gates reject business dates in the future.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import statistics
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from dashboard_harness import (CHROMIUM_ARGS, chromium, generate_landing, run_pipeline, running_dashboard,
                               serving_of, sql)

ENDPOINTS = [("meta", {}), ("kpis/shop-daily", {}), ("summary", {}), ("summary (365 days)", {"range": "year"}),
             ("breakdown?by=date", {}), ("breakdown?by=shop", {}), ("traffic", {}), ("products", {}),
             ("products/skus", {}), ("inventory", {}), ("members", {}), ("finance", {}), ("alerts", {}),
             ("screen", {})]
PAGES = ["overview", "traffic", "products", "inventory", "members", "finance", "alerts", "screen"]
API_TARGET_MS, PAGE_TARGET_MS = 100, 1500


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _url(base: str, endpoint: str, options: dict, first: str, last: str) -> str:
    path = endpoint.split(" ")[0]
    separator = "&" if "?" in path else "?"
    year = f"{separator}start={first}&end={last}" if options.get("range") == "year" else ""
    return f"{base}/api/v1/{path}{year}"


def timed_get(url: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as response:
        response.read()
        assert response.status == 200, url
    return (time.perf_counter() - started) * 1000


def api_latencies(base: str, clients: int, requests: int, first: str, last: str
                  ) -> tuple[dict[str, float], dict[str, list[float]]]:
    """Per endpoint: the first request alone (its queries not yet cached), then the concurrent ones."""
    uncached, results = {}, {}
    with ThreadPoolExecutor(clients) as pool:
        for endpoint, options in ENDPOINTS:
            url = _url(base, endpoint, options, first, last)
            uncached[endpoint] = timed_get(url)
            results[endpoint] = list(pool.map(timed_get, [url] * (clients * requests)))
    return uncached, results


def page_times(base: str, loads: int, clients: int) -> dict[str, list[float]]:
    """Page complete times with `clients` threads requesting the summary meanwhile."""
    from playwright.sync_api import sync_playwright

    stop = threading.Event()

    def background() -> None:
        while not stop.is_set():
            timed_get(f"{base}/api/v1/summary")

    threads = [threading.Thread(target=background, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    times: dict[str, list[float]] = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
            for page_name in PAGES:
                size = {"width": 1920, "height": 1080} if page_name == "screen" else {"width": 1440, "height": 1000}
                context = browser.new_context(viewport=size)
                page = context.new_page()
                for _ in range(loads + 1):  # the first load warms the browser cache
                    started = time.perf_counter()
                    page.goto(f"{base}/{page_name}")
                    page.wait_for_selector("body[data-ready=true]", timeout=30_000)
                    while not page.evaluate(
                            "[...document.querySelectorAll('.chart')].every(c => c.dataset.rendered === 'true')"):
                        page.wait_for_timeout(10)
                    times.setdefault(page_name, []).append((time.perf_counter() - started) * 1000)
                times[page_name] = times[page_name][1:]
                context.close()
            browser.close()
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shops", type=int, default=20)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--clients", type=int, default=4, help="concurrent API clients")
    parser.add_argument("--requests", type=int, default=25, help="requests per client and endpoint")
    parser.add_argument("--page-loads", type=int, default=5)
    parser.add_argument("--out", default="bench/out/serve")
    parser.add_argument("--reuse", action="store_true", help="keep a warehouse already built in --out")
    parser.add_argument("--warehouse", help="measure this warehouse (its serving copy beside it) instead")
    args = parser.parse_args()
    out = Path(args.out).resolve()
    figures: dict = {"clients": args.clients}
    warehouse = Path(args.warehouse).resolve() if args.warehouse else out / "warehouse.duckdb"
    out.mkdir(parents=True, exist_ok=True)
    if not args.warehouse and not (args.reuse and serving_of(warehouse).exists()):
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        started = time.perf_counter()
        start = dt.date.today() - dt.timedelta(days=args.days)
        landing = generate_landing(out, args.shops, args.days, start=start)
        figures["generate_s"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        run_pipeline(out, landing, first_business_date=start)
        figures["pipeline_s"] = round(time.perf_counter() - started, 1)
    serving = serving_of(warehouse)
    counts = sql(warehouse, "select (select count(distinct shop_code) from marts.kpi_shop_daily) as shops, "
                 "(select count(distinct date) from marts.kpi_shop_daily) as days, "
                 "(select count(*) from marts.kpi_shop_daily) as kpi_shop_daily_rows, "
                 "(select count(*) from marts.fct_orders) as orders, "
                 "(select count(*) from marts.fct_order_lines) as order_lines, "
                 "(select min(date) from marts.kpi_shop_daily) as first, "
                 "(select max(date) from marts.kpi_shop_daily) as last")[0]
    first, last = counts.pop("first").isoformat(), counts.pop("last").isoformat()
    figures |= {"serving_copy_mb": round(serving.stat().st_size / 2**20, 1), **counts, "first_date": first,
                "last_date": last}
    with running_dashboard(out, warehouse) as base:
        uncached, latencies = api_latencies(base, args.clients, args.requests, first, last)
        pages = page_times(base, args.page_loads, args.clients)
    figures["api_ms"] = {name: {"first": round(uncached[name], 1), "p50": round(statistics.median(v), 1),
                                "p95": round(percentile(v, 0.95), 1), "n": len(v)} for name, v in latencies.items()}
    figures["page_complete_ms"] = {name: {"median": round(statistics.median(v)), "max": round(max(v))}
                                   for name, v in pages.items()}
    print(json.dumps({k: v for k, v in figures.items() if k not in ("api_ms", "page_complete_ms")}, indent=1))
    print(f"\n{'endpoint':24} {'first ms':>9} {'p50 ms':>8} {'p95 ms':>8}   target p95 ≤ {API_TARGET_MS} ms "
          "(first: alone, before its queries are cached)")
    for name, row in figures["api_ms"].items():
        print(f"{name:24} {row['first']:9.1f} {row['p50']:8.1f} {row['p95']:8.1f}   "
              f"{'ok' if row['p95'] <= API_TARGET_MS else 'SLOW'}")
    print(f"\n{'page':24} {'median ms':>10} {'max ms':>8}   target ≤ {PAGE_TARGET_MS} ms")
    for name, row in figures["page_complete_ms"].items():
        print(f"{name:24} {row['median']:10} {row['max']:8}   {'ok' if row['max'] <= PAGE_TARGET_MS else 'SLOW'}")
    (out / "results.json").write_text(json.dumps(figures, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
