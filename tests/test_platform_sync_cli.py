"""`ecomops sync` as a seller runs it: shops.yaml says which shops sync, .dlt/secrets.toml holds the app's and
the shops' credentials, .dlt/config.toml points the platform at the simulator (a real HTTP server on 127.0.0.1)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml

from simulated_platforms import SHANGHAI, secrets_toml, shops_of, simulator_on_the_real_clock

PLATFORM = "taobao"


@pytest.fixture(scope="module")
def sim():
    with simulator_on_the_real_clock() as simulator:  # the CLI reads the real clock
        yield simulator


def project(sim, root: Path, *, sync: str = "api", with_secrets: bool = True) -> Path:
    """A working folder as a seller sets it up: shops.yaml, .dlt/secrets.toml and .dlt/config.toml."""
    (root / "landing").mkdir(parents=True)
    (root / "landing" / "shops.yaml").write_text(yaml.safe_dump({"shops": [
        {"shop_code": code, "platform": PLATFORM, "shop_name": code, "sync": sync} for code in shops_of(sim, PLATFORM)]}))
    (root / ".dlt").mkdir()
    if with_secrets:
        (root / ".dlt" / "secrets.toml").write_text(secrets_toml(sim, PLATFORM))
    (root / ".dlt" / "config.toml").write_text(f'[sources.platform_sync.{PLATFORM}]\ngateway = "{sim.gateway(PLATFORM)}"\n')
    return root


def ecomops(root: Path, *args: str, command: str = "sync") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ecomops.cli", command, "--landing", str(root / "landing"),
                           "--warehouse", str(root / "warehouse.duckdb"), *args],
                          cwd=root, capture_output=True, text=True, timeout=600)


def test_sync_lands_the_api_shops_orders_with_progress(sim, tmp_path):
    root = project(sim, tmp_path)
    yesterday = (dt.datetime.now(SHANGHAI).date() - dt.timedelta(days=1)).isoformat()
    result = ecomops(root, "--platform", PLATFORM, "--since", yesterday)
    assert result.returncode == 0, result.stderr[-3000:]
    assert " windows, " in result.stdout and f"{PLATFORM}: " in result.stdout  # progress lines, then the summary
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as connection:
        synced = {row[0] for row in connection.sql(f"select distinct order_id from raw.{PLATFORM}_api_orders").fetchall()}
    book = {str(order_id) for book in sim.books.values() if book.platform == PLATFORM for order_id in book.by_id}
    assert synced and synced <= book


def test_gating_a_sync_before_the_first_run_says_what_to_run(sim, tmp_path):
    root = project(sim, tmp_path)
    assert ecomops(root, "--platform", PLATFORM).returncode == 0
    check = ecomops(root, "--select", f"raw/{PLATFORM}_api_orders", command="check")
    assert check.returncode == 1
    assert f"raw.{PLATFORM}_api_orders: gate could not run: it looks rows up in raw.erp_products" in check.stdout
    assert "`ecomops run` creates every raw table" in check.stdout


def test_a_shop_that_syncs_from_exports_is_refused_by_name(sim, tmp_path):
    root = project(sim, tmp_path, sync="exports")
    shop = yaml.safe_load((root / "landing" / "shops.yaml").read_text())["shops"][0]["shop_code"]
    result = ecomops(root, "--shop", shop)
    assert result.returncode == 2 and f"shop {shop} has sync: exports" in result.stderr


def test_missing_app_credentials_are_named(sim, tmp_path):
    result = ecomops(project(sim, tmp_path, with_secrets=False))
    assert result.returncode == 2 and f"sources.platform_sync.{PLATFORM}.app_key" in result.stderr
