"""Platform sync in Dagster: one multi-asset per platform with API shops, its schedule, and a backfill run,
against the simulator (a real HTTP server on 127.0.0.1); credentials as a deployment gives them, in the
environment dlt reads."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest
import yaml

from ecomops.settings import get_settings
from ingestion import load_landing
from orchestration.definitions import build_definitions
from orchestration.jobs import build_everything_job
from orchestration.lib.warehouse import WarehouseResource
from orchestration.run import build_everything_in_process
from simulated_platforms import SHANGHAI, shops_of, simulator_on_the_real_clock

PLATFORM = "douyin"


@pytest.fixture(scope="module")
def sim():
    with simulator_on_the_real_clock() as simulator:
        yield simulator


def yesterday() -> str:
    return (dt.datetime.now(SHANGHAI).date() - dt.timedelta(days=1)).isoformat()


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
    first = materialize(settings, asset, since=yesterday())
    assert first["windows"].value > 0 and first["records"].value > 0
    assert {"pages", "retries", "throttle_waits", "throttle_wait_seconds", "token_refreshes"} <= set(first)
    caught_up = materialize(settings, asset)
    assert caught_up["windows"].value < first["windows"].value  # from the cursors: the overlap and what is new
    again = materialize(settings, asset, since=yesterday())
    assert again["windows"].value >= first["windows"].value  # every window since yesterday, in one run


def api_gates(definitions: dg.Definitions) -> dg.AssetChecksDefinition:
    return next(c for c in definitions.asset_checks if c.node_def.name == "api_quality_gates")


def evaluations(result) -> dict[str, dg.AssetCheckEvaluation]:
    return {e.asset_key.path[-1]: e for e in result.get_asset_check_evaluations()}


def landed(settings):
    """The raw layer as a deployment's first `ecomops run` leaves it (every raw table, empty): the API gates
    look orders up in the export tables and SKUs in the ERP's."""
    load_landing(settings.landing, settings.warehouse, settings.quarantine, settings.dlt_working_dir, paths=settings)
    return settings


def sync_and_gate(settings, definitions, asset, since: str):
    return dg.materialize([asset, api_gates(definitions)], resources={"warehouse": WarehouseResource.from_settings(settings)},
                          run_config={"ops": {asset.node_def.name: {"config": {"since": since}}}}, raise_on_error=False)


def test_a_sync_run_gates_the_api_rows_it_loaded(sim, tmp_path, monkeypatch):
    settings = landed(configured(sim, tmp_path, monkeypatch))
    definitions, asset = sync_asset(settings)
    result = sync_and_gate(settings, definitions, asset, since=yesterday())
    assert result.success
    gated = evaluations(result)
    assert set(gated) == {f"{PLATFORM}_api_orders", f"{PLATFORM}_api_refunds"}
    orders = gated[f"{PLATFORM}_api_orders"]
    assert orders.severity == dg.AssetCheckSeverity.WARN or orders.passed
    assert orders.metadata["rows_validated"].value > 0 and "files_validated" not in orders.metadata
    # gated once: the next run's gates find no load of these tables pending
    again = dg.materialize([api_gates(definitions)], resources={"warehouse": WarehouseResource.from_settings(settings)},
                           selection=dg.AssetSelection.checks(api_gates(definitions)))
    assert {e.metadata["rows_validated"].value for e in again.get_asset_check_evaluations()} == {0}


def test_an_api_row_failing_its_gate_is_quarantined_and_blocks_the_marts_until_fixed(sim, tmp_path, monkeypatch):
    settings = landed(configured(sim, tmp_path, monkeypatch))
    definitions, asset = sync_asset(settings)
    table = f"raw.{PLATFORM}_api_orders"
    warehouse = WarehouseResource.from_settings(settings)
    materialize(settings, asset, since=yesterday())  # the sync alone: its rows not gated yet
    with warehouse.open_warehouse() as con:  # the platform answered a negative line amount for one line
        (order_id, line_id, modified_at, paid), = con.rows(
            f"select order_id, line_id, modified_at, line_paid_amount from {table} order by 1, 2 limit 1")
        con.execute(f"update {table} set line_paid_amount = -1 where order_id = ? and line_id = ? and modified_at = ?",
                    [order_id, line_id, modified_at])

    with dg.instance_for_test() as instance:
        blocked = build_everything_in_process(settings, instance, log_level="ERROR", partitions=(yesterday(), yesterday()))
    assert not blocked.success
    gate = evaluations(blocked)[f"{PLATFORM}_api_orders"]
    assert not gate.passed and gate.severity == dg.AssetCheckSeverity.ERROR
    sample = gate.metadata["failing_rows_sample"].value
    assert order_id in sample and "_api_method" in sample and "_window_start" in sample and "_page" in sample
    started = {e.step_key for e in blocked.all_events if e.event_type_value == "STEP_START"}
    assert {"landing_files", "api_quality_gates"} <= started and "transform_models" not in started
    with warehouse.open_warehouse(read_only=True) as con:
        quarantined = con.rows(f"select order_id, line_id, _api_method, _quarantine_reasons "
                               f"from quarantine.{PLATFORM}_api_orders")
        assert con.rows("select count(*) from information_schema.tables where table_schema = 'marts'") == [(0,)]
    assert [(o, l) for o, l, _, _ in quarantined] == [(order_id, line_id)]
    assert "line_paid_amount" in quarantined[0][3] and quarantined[0][2]

    with warehouse.open_warehouse() as con:  # fixed, as the next sync of that window brings the line again
        con.execute(f"update {table} set line_paid_amount = ? where order_id = ? and line_id = ? and modified_at = ?",
                    [paid, order_id, line_id, modified_at])
    with dg.instance_for_test() as instance:
        built = build_everything_in_process(settings, instance, log_level="ERROR", partitions=(yesterday(), yesterday()))
    assert built.success and evaluations(built)[f"{PLATFORM}_api_orders"].severity != dg.AssetCheckSeverity.ERROR
    with warehouse.open_warehouse(read_only=True) as con:
        assert con.rows(f"select count(*) from quarantine.{PLATFORM}_api_orders") == [(0,)]
        assert con.rows("select count(*) from marts.fct_orders") != [(0,)]
