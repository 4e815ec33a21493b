"""Two warehouses built from one working directory never read or write each other's files.

Everything a run derives from a warehouse (serving copy, quarantine, dlt folder, salt file, run summary)
sits beside it, named after it; each path keeps its own environment override.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from conftest import csv_bytes
from demo_data import generate
from ecomops.settings import BUYER_SALT_ENV, DERIVED_PATHS, SHARED_SALT_FILE, dagster_home, get_settings, warehouse_paths
from orchestration.landing.sensors import landing_files_sensor
from orchestration.lib.warehouse import WarehouseResource
from test_ingestion_formats import TAOBAO_HEADER, taobao_line

BROKEN = "taobao/tb01/orders/broken.csv"  # a number that is not one: the whole file is rejected
ECOMOPS = Path(sys.executable).with_name("ecomops")


def test_every_derived_path_sits_beside_the_warehouse_named_after_it():
    paths = warehouse_paths(Path("/srv/shops/north.duckdb"), Path("/srv/landing/north"))
    assert (paths.serving, paths.quarantine, paths.dlt_working_dir, paths.dbt_target_dir, paths.buyer_salt_file,
            paths.run_summary) == (
        Path("/srv/shops/north.serving.duckdb"), Path("/srv/shops/north.quarantine"), Path("/srv/shops/.dlt/north"),
        Path("/srv/shops/.dbt/north"), Path("/srv/shops/.north.buyer_salt"), Path("/srv/shops/north.run_summary.json"))
    assert paths.landing == Path("/srv/landing/north")
    defaults = get_settings({})
    assert (defaults.landing, defaults.warehouse, defaults.serving, defaults.quarantine) == (
        Path("data/landing"), Path("data/warehouse.duckdb"), Path("data/warehouse.serving.duckdb"),
        Path("data/warehouse.quarantine"))


@pytest.mark.parametrize("field, variable", [(field, variable) for field, (variable, _) in DERIVED_PATHS.items()])
def test_each_derived_path_has_its_own_override(field, variable):
    settings = get_settings({"ECOMOPS_WAREHOUSE": "/srv/shops/north.duckdb", variable: "/elsewhere/chosen"})
    assert getattr(settings, field) == Path("/elsewhere/chosen")
    beside = warehouse_paths(Path("/srv/shops/north.duckdb"), settings.landing)
    for other in DERIVED_PATHS:
        if other != field:
            assert getattr(settings, other) == getattr(beside, other), f"{variable} moved {other} too"


def test_each_warehouse_gets_its_own_salt_created_once_and_an_old_shared_salt_is_kept(tmp_path, monkeypatch):
    monkeypatch.delenv(BUYER_SALT_ENV, raising=False)
    north, south = (warehouse_paths(tmp_path / f"{name}.duckdb", tmp_path / "landing") for name in ("north", "south"))
    salt = north.buyer_salt()
    assert north.buyer_salt() == salt != south.buyer_salt()
    assert north.buyer_salt_file.read_text(encoding="utf-8") == salt
    assert north.buyer_salt_file.stat().st_mode & 0o777 == 0o600

    legacy = tmp_path / "old"
    legacy.mkdir()
    (legacy / SHARED_SALT_FILE).write_text("salt-of-the-folder\n", encoding="utf-8")
    assert warehouse_paths(legacy / "warehouse.duckdb", tmp_path / "landing").buyer_salt() == "salt-of-the-folder"
    monkeypatch.setenv(BUYER_SALT_ENV, "from-the-environment")
    assert north.buyer_salt() == "from-the-environment"


def test_dagster_home_is_the_exported_one_else_the_working_directorys_dotenv(tmp_path):
    assert dagster_home({}, tmp_path) is None
    (tmp_path / ".env").write_text(f"ECOMOPS_ALERT_WECOM_URL=x\nDAGSTER_HOME='{tmp_path / 'home'}'\n", encoding="utf-8")
    assert dagster_home({}, tmp_path) == tmp_path / "home"
    assert dagster_home({"DAGSTER_HOME": "/exported"}, tmp_path) == Path("/exported")


def _run(root: Path, landing: str, warehouse: str) -> subprocess.CompletedProcess:
    """`ecomops run` from `root`, as a user would: no ECOMOPS_ variables, only the instance."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("ECOMOPS_")}
    env.update(DAGSTER_HOME=str(root / "dagster_home"))
    return subprocess.run([str(ECOMOPS), "run", "--landing", landing, "--warehouse", warehouse], cwd=root, env=env,
                          capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def side_by_side(tmp_path_factory) -> Path:
    """Landings A (1 shop, 4 days, one broken file) and B (2 shops, 3 days) built into a.duckdb and b.duckdb."""
    root = tmp_path_factory.mktemp("side_by_side")
    generate(root / "A", shops=1, days=4, seed=3)
    generate(root / "B", shops=2, days=3, seed=5)
    (root / "A" / BROKEN).write_bytes(csv_bytes([TAOBAO_HEADER, taobao_line(order_amount="abc")]))
    for landing, warehouse in (("A", "a.duckdb"), ("B", "b.duckdb")):
        run = _run(root, landing, warehouse)
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        (root / f"{landing}.out").write_text(run.stdout, encoding="utf-8")
    return root


def _marts(database: Path) -> dict:
    with duckdb.connect(str(database), read_only=True) as con:
        tables = con.execute("select table_name from duckdb_tables() where schema_name = 'marts' order by 1").fetchall()
        counts = {table: con.execute(f'select count(*) from marts."{table}"').fetchone()[0] for (table,) in tables}
        kpis = con.execute("select count(*), sum(paid_amount), sum(paid_orders) from marts.kpi_shop_daily").fetchone()
    return {"rows": counts, "kpi_shop_daily": kpis}


def test_each_serving_copy_sits_beside_its_warehouse_and_holds_its_marts(side_by_side):
    root = side_by_side
    a, b = _marts(root / "a.serving.duckdb"), _marts(root / "b.serving.duckdb")
    assert a == _marts(root / "a.duckdb") and b == _marts(root / "b.duckdb")
    assert a["kpi_shop_daily"] != b["kpi_shop_daily"] and a["rows"] != b["rows"]
    assert a["kpi_shop_daily"][0] > 0 and b["kpi_shop_daily"][0] > 0
    assert not (root / "data").exists()  # nothing went to the default paths
    # dbt's run artifacts too: each warehouse's steps keep their own target folders beside it.
    for stem in ("a", "b"):
        assert {folder.name for folder in (root / ".dbt" / stem).iterdir()} == {"transform_models", "daily_kpi_models"}
        assert (root / ".dbt" / stem / "transform_models" / "run_results.json").exists()


def test_only_the_broken_files_warehouse_quarantines_it(side_by_side):
    root = side_by_side
    copy = root / "a.quarantine" / BROKEN
    assert copy.read_bytes() == (root / "A" / BROKEN).read_bytes()
    assert "row 2, column 买家实际支付金额" in copy.with_name("broken.csv.reason.txt").read_text(encoding="utf-8")
    assert not (root / "b.quarantine").exists() or not any((root / "b.quarantine").rglob("*"))
    output = {landing: (root / f"{landing}.out").read_text(encoding="utf-8") for landing in ("A", "B")}
    assert "rejected files: 1" in output["A"] and BROKEN in output["A"] and "rejected files: 0" in output["B"]
    with duckdb.connect(str(root / "a.serving.duckdb"), read_only=True) as con:
        status = con.execute("select status from raw.ingest_files where _source_file = ?", [BROKEN]).fetchall()
        assert status == [("rejected",)]
    with duckdb.connect(str(root / "b.serving.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from raw.ingest_files where status = 'rejected'").fetchall() == [(0,)]


def test_salts_dlt_folders_and_run_summaries_are_each_warehouses_own(side_by_side):
    root = side_by_side
    salts = [(root / f".{stem}.buyer_salt").read_text(encoding="utf-8") for stem in ("a", "b")]
    assert salts[0] != salts[1] and not (root / SHARED_SALT_FILE).exists()
    assert (root / ".dlt" / "a").is_dir() and (root / ".dlt" / "b").is_dir()
    for stem in ("a", "b"):
        summary = json.loads((root / f"{stem}.run_summary.json").read_text(encoding="utf-8"))
        assert summary["path"] == str(root / f"{stem}.serving.duckdb") and summary["run_id"]
        assert summary["rows_marts"] == sum(_marts(root / f"{stem}.duckdb")["rows"].values())
        assert summary["checks_failed"] == 0


def _sensor(root: Path, landing: str, warehouse: str):
    settings = get_settings({"ECOMOPS_LANDING": str(root / landing), "ECOMOPS_WAREHOUSE": str(root / warehouse)})
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(instance=instance,
                                          resources={"warehouse": WarehouseResource.from_settings(settings)})
        return landing_files_sensor(settings)(context)


def test_each_landing_sensor_compares_its_landing_with_its_own_ledger(side_by_side):
    root = side_by_side
    for landing, warehouse in (("A", "a.duckdb"), ("B", "b.duckdb")):
        skip = _sensor(root, landing, warehouse)
        assert isinstance(skip, dg.SkipReason) and "no new" in skip.skip_message, (landing, skip)

    orders = sorted((root / "B" / "taobao").rglob("orders/*.csv"))[0]
    shutil.copyfile(orders, orders.with_name("late_download.csv"))
    request = _sensor(root, "B", "b.duckdb")
    assert isinstance(request, dg.RunRequest) and request.tags["ecomops/pending_files"] == "1"
    skip = _sensor(root, "A", "a.duckdb")
    assert isinstance(skip, dg.SkipReason) and "no new" in skip.skip_message
