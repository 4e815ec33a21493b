"""Platform sync in Dagster: one multi-asset per platform with API shops, its schedule, and a backfill run,
against the simulator (a real HTTP server on 127.0.0.1); credentials as a deployment gives them, in the
environment dlt reads."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest
import yaml

from ecomops.settings import get_settings
from orchestration.definitions import build_definitions
from orchestration.jobs import build_everything_job
from orchestration.lib.warehouse import WarehouseResource
from simulated_platforms import SHANGHAI, shops_of, simulator_on_the_real_clock

PLATFORM = "douyin"


@pytest.fixture(scope="module")
def sim():
    with simulator_on_the_real_clock() as simulator:
        yield simulator


def configured(sim, root, monkeypatch, *, credentials: bool = True):
    """A landing whose douyin shop syncs from the API, the app's and the shop's credentials in the environment."""
    shops = shops_of(sim, PLATFORM)
    (root / "landing").mkdir(parents=True)
    (root / "landing" / "shops.yaml").write_text(yaml.safe_dump({"shops": [
        {"shop_code": code, "platform": PLATFORM, "shop_name": code, "sync": "api"} for code in shops]}))
    section = f"SOURCES__PLATFORM_SYNC__{PLATFORM.upper()}"
    monkeypatch.setenv(f"{section}__GATEWAY", sim.gateway(PLATFORM))
    if credentials:
        monkeypatch.setenv(f"{section}__APP_KEY", sim.credentials[shops[0]].app_key)
        monkeypatch.setenv(f"{section}__APP_SECRET", sim.credentials[shops[0]].secret)
        for code in shops:
            monkeypatch.setenv(f"{section}__SHOPS__{code.upper()}__ACCESS_TOKEN", sim.credentials[code].access_token)
            monkeypatch.setenv(f"{section}__SHOPS__{code.upper()}__REFRESH_TOKEN", sim.credentials[code].refresh_token)
    else:
        for name in ("APP_KEY", "APP_SECRET"):
            monkeypatch.delenv(f"{section}__{name}", raising=False)
    return get_settings({}, landing=root / "landing", warehouse=root / "warehouse.duckdb")


def sync_asset(settings):
    definitions = build_definitions(settings)
    return definitions, next(a for a in definitions.assets if a.node_def.name == f"{PLATFORM}_api_sync")


def materialize(settings, asset, **config):
    result = dg.materialize([asset], resources={"warehouse": WarehouseResource.from_settings(settings)},
                            run_config={"ops": {asset.node_def.name: {"config": config}}} if config else None)
    assert result.success
    return result.asset_materializations_for_node(asset.node_def.name)[0].metadata


def test_each_api_platform_is_one_asset_of_its_two_raw_tables_outside_build_everything(sim, tmp_path, monkeypatch):
    definitions, asset = sync_asset(configured(sim, tmp_path, monkeypatch))
    assert set(asset.keys) == {dg.AssetKey(["raw", f"{PLATFORM}_api_orders"]), dg.AssetKey(["raw", f"{PLATFORM}_api_refunds"])}
    assert asset.node_def.pool == "warehouse"
    job = definitions.resolve_job_def(build_everything_job.name)
    assert not set(asset.keys) & set(job.asset_layer.selected_asset_keys)


def test_the_schedule_runs_once_credentials_exist(sim, tmp_path, monkeypatch):
    with_credentials = build_definitions(configured(sim, tmp_path / "with", monkeypatch))
    assert with_credentials.get_schedule_def("platform_sync").default_status == dg.DefaultScheduleStatus.RUNNING
    without = build_definitions(configured(sim, tmp_path / "without", monkeypatch, credentials=False))
    assert without.get_schedule_def("platform_sync").default_status == dg.DefaultScheduleStatus.STOPPED


def test_a_run_syncs_and_a_backfill_reads_its_days_again(sim, tmp_path, monkeypatch):
    settings = configured(sim, tmp_path, monkeypatch)
    _, asset = sync_asset(settings)
    yesterday = (dt.datetime.now(SHANGHAI).date() - dt.timedelta(days=1)).isoformat()
    first = materialize(settings, asset, since=yesterday)
    assert first["windows"].value > 0 and first["records"].value > 0
    assert {"pages", "retries", "throttle_waits", "throttle_wait_seconds", "token_refreshes"} <= set(first)
    caught_up = materialize(settings, asset)
    assert caught_up["windows"].value < first["windows"].value  # from the cursors: the overlap and what is new
    again = materialize(settings, asset, since=yesterday)
    assert again["windows"].value >= first["windows"].value  # every window since yesterday, in one run
