"""The same orders through both paths: a landing built from exports, and the same landing whose shops sync their
orders and refunds from the platform simulator instead (shops.yaml `sync: api`, their order and refund exports
removed), up to the moment the last exports were taken. Whole pipeline runs, as `ecomops run` does them, into real
DuckDB files; every KPI table must agree to the cent.

What the APIs cannot say is named, not hidden:
- a buyer's key differs by path (an export names the buyer, an API gives an open id): per-customer rows are
  compared without it;
- PDD's API lists no unpaid order (PDD creates the order on payment): its GMV, which counts created orders, lacks
  exactly the unpaid orders of the PDD export (a test of its own);
- JD's refund-apply API names neither the item nor whether goods come back: the JD shop syncs `both`, its orders
  from the API alone and its after-sales from the API and its 售后 export together.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections import Counter
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml

from demo_data import DEFAULT_START, generate
from ecomops.settings import get_settings
from pipeline_runs import build, use_landing, without_alert_channels
from platform_simulator import running_simulator
from platform_sync import SyncStats, sync_platform
from platform_sync.apis import platform_apis
from platform_sync.reading import END_MARGIN
from platform_sync.tokens import ShopTokens
from simulated_platforms import shops_of

SHOPS, DAYS = 5, 3  # a shop per platform
PLATFORMS = ["taobao", "tmall", "jd", "pdd", "douyin"]
API_KINDS = ("orders", "refunds")
KPI_TABLES = ["kpi_shop_daily", "kpi_sku_daily", "kpi_product_period", "kpi_customer_period", "kpi_finance_monthly",
              "kpi_budget_monthly", "kpi_inventory_daily", "cohort_retention", "customer_rfm"]
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
HISTORY_START = dt.datetime.combine(DEFAULT_START, dt.time(0), SHANGHAI).astimezone(dt.timezone.utc)
# The exports hold each order's state at the end of the last day: the sync reads every window up to that moment
# and not the next one. The platforms' clock stands at the earliest moment PDD serves that window (its end lag);
# the sync's clock runs its own margin ahead, so no window past the exports is due.
EXPORTS_TAKEN = HISTORY_START + dt.timedelta(days=DAYS)
PLATFORMS_AT = EXPORTS_TAKEN + dt.timedelta(seconds=max(
    resource.list.window.end_lag_seconds for apis in platform_apis().values() for resource in apis.resources.values()))
SYNC_AT = PLATFORMS_AT + END_MARGIN
# Per platform, the kinds whose exports the API path drops (the JD shop keeps its after-sales export).
DROPPED_EXPORTS = {"taobao": API_KINDS, "tmall": API_KINDS, "pdd": API_KINDS, "douyin": API_KINDS, "jd": ("orders",)}
# Data-quality bookkeeping, not KPIs (when a row was built, from which load), and the buyer keys.
LEFT_OUT = {"_built_at", "_last_load_id", "buyer_key", "customer_key"}


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory) -> dict[str, Path]:
    """Per path ("exports", "api"): the warehouse a full run built from it."""
    root = tmp_path_factory.mktemp("sync_kpis")
    generate(root / "exports" / "landing", shops=SHOPS, days=DAYS, start=DEFAULT_START, workers=1)
    api_landing = root / "api" / "landing"
    shutil.copytree(root / "exports" / "landing", api_landing)
    registry = yaml.safe_load((api_landing / "shops.yaml").read_text(encoding="utf-8"))
    for shop in registry["shops"]:
        shop["sync"] = "api" if DROPPED_EXPORTS[shop["platform"]] == API_KINDS else "both"
        for kind in DROPPED_EXPORTS[shop["platform"]]:
            shutil.rmtree(api_landing / shop["platform"] / shop["shop_code"] / kind)
    (api_landing / "shops.yaml").write_text(yaml.safe_dump(registry, allow_unicode=True), encoding="utf-8")

    with pytest.MonkeyPatch.context() as env, running_simulator(shops=SHOPS, days=DAYS, now=PLATFORMS_AT) as sim:
        env.setenv("ECOMOPS_BUYER_SALT", "one-salt-for-both-paths")
        env.setenv("DAGSTER_HOME", str(root / "dagster_home"))
        without_alert_channels(env)
        for path in ("exports", "api"):
            use_landing(env, root / path, root / path / "landing")
            if path == "api":
                _sync_every_platform(sim)
            with dg.DagsterInstance.ephemeral() as instance:
                build(instance)
    return {path: root / path / "warehouse.duckdb" for path in ("exports", "api")}


def _sync_every_platform(sim) -> None:
    settings = get_settings()
    for platform in PLATFORMS:
        shops = shops_of(sim, platform)
        app = sim.credentials[shops[0]]
        tokens = {shop: ShopTokens(sim.credentials[shop].access_token, sim.credentials[shop].refresh_token)
                  for shop in shops}
        stats = SyncStats()
        sync_platform(settings, platform, shops, backfill=None, since=HISTORY_START, clock=lambda: SYNC_AT,
                      gateway=sim.gateway(platform), token_endpoint=sim.token_endpoint(platform),
                      app_key=app.app_key, app_secret=app.secret, tokens=tokens, stats=stats)
        assert stats.records > 0, platform


def _query(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.sql(sql).fetchall()


def _rows(warehouse: Path, table: str) -> tuple[list[str], list[tuple]]:
    """The table's columns (less LEFT_OUT) and rows, amounts to the cent; PDD's GMV blanked (tested apart)."""
    columns = _query(warehouse, f"select column_name, data_type from information_schema.columns where table_schema "
                                f"= 'marts' and table_name = '{table}' order by ordinal_position")
    names = [name for name, _ in columns if name not in LEFT_OUT]

    def value(name: str, kind: str) -> str:
        cents = f'round("{name}", 2)' if kind == "DOUBLE" or kind.startswith("DECIMAL") else f'"{name}"'
        return f"case when platform = 'pdd' then null else {cents} end" if name == "gmv" else cents

    rows = _query(warehouse, f"select {', '.join(value(n, k) for n, k in columns if n in names)} from marts.{table}")
    return names, rows


def test_the_api_path_fills_the_raw_api_tables_and_no_order_export(warehouses):
    with duckdb.connect(str(warehouses["api"]), read_only=True) as connection:
        for platform in PLATFORMS:
            assert connection.sql(f"select count(*) from raw.{platform}_orders").fetchall() == [(0,)]
            assert connection.sql(f"select count(*) from raw.{platform}_api_orders").fetchall()[0][0] > 0


@pytest.mark.parametrize("table", KPI_TABLES)
def test_kpis_from_the_apis_equal_kpis_from_the_same_orders_exports(warehouses, table):
    exported, synced = _rows(warehouses["exports"], table), _rows(warehouses["api"], table)
    assert exported[0] == synced[0]
    assert exported[1], table
    missing, extra = Counter(exported[1]) - Counter(synced[1]), Counter(synced[1]) - Counter(exported[1])
    assert not missing and not extra, (sorted(missing)[:3], sorted(extra)[:3])


def test_pdd_gmv_from_the_api_lacks_exactly_the_unpaid_orders_pdd_never_lists(warehouses):
    unpaid = dict(_query(warehouses["exports"], """
        select created_date, round(sum(gmv_amount), 2) from marts.fct_orders
        where platform = 'pdd' and not is_paid group by created_date"""))
    assert unpaid
    daily = {path: dict(_query(warehouse, "select date, round(gmv, 2) from marts.kpi_shop_daily where platform = 'pdd'"))
             for path, warehouse in warehouses.items()}
    assert daily["api"] == {day: round(gmv - unpaid.get(day, 0), 2) for day, gmv in daily["exports"].items()}
