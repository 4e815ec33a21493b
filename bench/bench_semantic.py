"""Benchmark: what a semantic layer query costs on a serving copy: building the engine, compiling, running.

Runs explorer-like requests (metrics × day/week/month × platform/shop/SKU, with filters) on an existing
serving copy (`make demo` writes data/warehouse.serving.duckdb) and prints, per request, the first compile
(MetricFlow plans it), the cached compile, and the query's median time on a read-only connection.

    python bench/bench_semantic.py [--serving data/warehouse.serving.duckdb] [--repeat 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from pathlib import Path

import duckdb

MANIFEST = Path(__file__).resolve().parents[1] / "transform" / "target" / "semantic_manifest.json"
REQUESTS = {
    "KPI cards, 7 days": dict(metrics=["gmv", "paid_amount", "paid_orders", "aov", "refund_rate", "payment_conversion",
                                       "gross_profit", "contribution_profit", "roas"],
                              filters=[("metric_time__day", ">=", dt.date(2026, 10, 24))]),
    "daily trend by platform": dict(metrics=["paid_amount", "paid_orders", "aov"],
                                    group_by=["metric_time__day", "shop__platform"], order_by=["metric_time__day"]),
    "weekly by shop, 2 platforms": dict(metrics=["paid_amount", "refund_rate", "roas"],
                                        group_by=["metric_time__week", "shop"],
                                        filters=[("shop__platform", "in", ["tmall", "jd"])]),
    "monthly by province": dict(metrics=["paid_amount", "paid_orders"],
                                group_by=["metric_time__month", "order__receiver_province"]),
    "top SKUs": dict(metrics=["sku_paid_amount", "units_sold"], group_by=["sku", "sku__category"],
                     order_by=["-sku_paid_amount"], limit=20),
}


def _seconds(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serving", default="data/warehouse.serving.duckdb", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    start = time.perf_counter()
    from semantic import semantic_layer

    imported = time.perf_counter() - start
    built = _seconds(lambda: semantic_layer(MANIFEST))
    layer = semantic_layer(MANIFEST)
    print(f"import {imported:.2f}s, engine from the manifest {built:.2f}s ({len(layer.catalog()['metrics'])} metrics)")
    with duckdb.connect(str(args.serving), read_only=True) as connection:
        (rows,) = connection.execute("select count(*) from marts.kpi_shop_daily").fetchall()[0]
        print(f"serving copy {args.serving} ({args.serving.stat().st_size / 1e6:.1f} MB, {rows:,} kpi_shop_daily rows)")
        print(f"  {'request':<30}{'compile cold':>14}{'cached':>10}{'query p50':>11}{'rows':>7}")
        for name, request in REQUESTS.items():
            cold = _seconds(lambda: layer.compile(**request))
            warm = _seconds(lambda: layer.compile(**request))
            times = [_seconds(lambda: layer.query(connection, **request)) for _ in range(args.repeat)]
            result_rows = layer.query(connection, **request).num_rows
            print(f"  {name:<30}{cold * 1000:>12.1f}ms{warm * 1e6:>8.0f}µs{statistics.median(times) * 1000:>9.1f}ms"
                  f"{result_rows:>7,}")


if __name__ == "__main__":
    main()
