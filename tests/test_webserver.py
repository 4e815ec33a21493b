"""`dagster dev` serves the definitions: assets, checks, partitions, schedules and sensors are visible over GraphQL."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
QUERY = """
{
  assetNodes {
    assetKey { path } hasAssetChecks isPartitioned
    partitionDefinition { type description } partitionKeys backfillPolicy { policyType }
  }
  repositoriesOrError {
    ... on RepositoryConnection {
      nodes { name schedules { name } sensors { name } }
    }
  }
}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture
def dagster_dev(tmp_path):
    """`dagster dev` (webserver + daemon) on a free port, stopped with everything it started."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    port = _free_port()
    env = {**os.environ, "DAGSTER_HOME": str(home), "ECOMOPS_WAREHOUSE": str(tmp_path / "warehouse.duckdb"),
           "ECOMOPS_LANDING": str(tmp_path / "landing"), "ECOMOPS_SERVING": str(tmp_path / "serving.duckdb")}
    dagster = Path(sys.executable).with_name("dagster")
    process = subprocess.Popen(
        [str(dagster), "dev", "-h", "127.0.0.1", "-p", str(port), "-w", str(REPO / "workspace.yaml")],
        # Not from the repo: Dagster's CLI lets a DAGSTER_HOME in the working directory's .env win over this one.
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                answer = _graphql(port, QUERY)
                if answer.get("data", {}).get("assetNodes"):
                    break
            except OSError:
                pass
            assert process.poll() is None, "dagster dev exited early"
            assert time.monotonic() < deadline, "dagster dev did not serve the definitions within 180 s"
            time.sleep(2)
        yield port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_dagster_dev_serves_assets_checks_partitions_schedules_and_sensors(dagster_dev):
    data = _graphql(dagster_dev, QUERY)["data"]
    nodes = {"/".join(node["assetKey"]["path"]): node for node in data["assetNodes"]}
    keys = set(nodes)
    assert {"raw/taobao_orders", "raw/erp_products", "staging/stg_pdd__orders", "marts/fct_orders",
            "marts/kpi_shop_daily", "serving/warehouse_copy"} <= keys
    assert any(node["hasAssetChecks"] for node in data["assetNodes"] if node["assetKey"]["path"][0] == "marts")
    # daily KPI and alert assets: one partition per business day, backfilled in a single run
    daily = {key for key, node in nodes.items() if node["isPartitioned"]}
    assert daily == {"marts/kpi_shop_daily", "marts/kpi_sku_daily", "marts/kpi_inventory_daily",
                     "marts/kpi_finance_monthly", "marts/kpi_product_period", "alerts/kpi_alerts"}
    for key in daily:
        node = nodes[key]
        assert node["partitionDefinition"]["type"] == "TIME_WINDOW" and "Asia/Shanghai" in node["partitionDefinition"]["description"]
        assert node["partitionKeys"][0] == "2026-10-01"  # the default first business day (ecomops/settings.py)
        assert node["backfillPolicy"]["policyType"] == "SINGLE_RUN"
    assert not nodes["marts/fct_orders"]["isPartitioned"]
    (repository,) = data["repositoriesOrError"]["nodes"]
    assert {s["name"] for s in repository["schedules"]} >= {"daily_refresh"}
    assert {s["name"] for s in repository["sensors"]} >= {"landing_files_sensor"}
