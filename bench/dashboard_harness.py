"""A demo warehouse built by the real CLI, `ecomops serve` on a free loopback port: for dashboard tests and benchmarks.

Not part of the product: benchmarks import it from here, tests through pytest's `pythonpath` (pyproject.toml).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.cookiejar
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path

import duckdb

from ecomops.settings import warehouse_paths

REPO = Path(__file__).resolve().parents[1]
PATH_VARIABLES = ("ECOMOPS_LANDING", "ECOMOPS_WAREHOUSE", "ECOMOPS_SERVING", "ECOMOPS_QUARANTINE", "ECOMOPS_DLT_DIR",
                  "ECOMOPS_BUYER_SALT_FILE", "ECOMOPS_RUN_SUMMARY", "ECOMOPS_DASHBOARD_USERS",
                  "ECOMOPS_DASHBOARD_IDENTITY_HEADER", "ECOMOPS_DASHBOARD_SESSION_KEY")


def clean_environment(root: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without ecomops paths (each run names its own), Dagster's home in `root`."""
    environment = {k: v for k, v in os.environ.items() if k not in PATH_VARIABLES and k != "ECOMOPS_BUYER_SALT"}
    environment["DAGSTER_HOME"] = str(root / "dagster_home")
    environment.setdefault("ECOMOPS_FIRST_BUSINESS_DATE", "2026-10-01")
    return {**environment, **(extra or {})}


def generate_landing(root: Path, shops: int, days: int, seed: int = 7, start: dt.date | None = None) -> Path:
    """`ecomops generate` into `root`/landing (from the demo's first day unless `start` is given)."""
    landing = root / "landing"
    first = ["--start", start.isoformat()] if start else []
    subprocess.run([sys.executable, "-m", "ecomops.cli", "generate", "--out", str(landing), "--shops", str(shops),
                    "--days", str(days), "--seed", str(seed), *first],
                   cwd=REPO, env=clean_environment(root), check=True, capture_output=True, text=True)
    return landing


def run_pipeline(root: Path, landing: Path, first_business_date: dt.date | None = None) -> Path:
    """`ecomops run` of `landing` into `root`/warehouse.duckdb, with Dagster's home in `root`: the warehouse."""
    warehouse = root / "warehouse.duckdb"
    home = root / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    first_day = {"ECOMOPS_FIRST_BUSINESS_DATE": first_business_date.isoformat()} if first_business_date else None
    shutil.copy(REPO / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    run = subprocess.run([sys.executable, "-m", "ecomops.cli", "run", "--landing", str(landing),
                          "--warehouse", str(warehouse)],
                         cwd=REPO, env=clean_environment(root, first_day), capture_output=True, text=True,
                         timeout=3 * 3600)
    if run.returncode != 0:
        raise RuntimeError(f"ecomops run failed:\n{run.stderr[-4000:]}")
    return warehouse


def build_demo_warehouse(root: Path, shops: int, days: int, seed: int = 7) -> Path:
    """A generated landing run through the pipeline: the warehouse path (its serving copy beside it)."""
    return run_pipeline(root, generate_landing(root, shops, days, seed))


CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


def chromium() -> str:
    """Debian's Chromium binary, as its package installs it (.ci/run apt-get installs `chromium`)."""
    listed = subprocess.run(["dpkg", "-L", "chromium"], capture_output=True, text=True).stdout.split()
    binaries = [path for path in listed if path.endswith("/chromium/chromium") and Path(path).is_file()]
    assert binaries, "Debian's chromium package is not installed: apt-get install chromium fonts-noto-cjk"
    return binaries[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_dashboard(root: Path, warehouse: Path, extra_environment: Mapping[str, str] | None = None,
                      host: str = "127.0.0.1") -> Iterator[str]:
    """`ecomops serve` in a subprocess until the block ends; yields its base URL once it answers."""
    port = free_port()
    log = (root / f"serve-{port}.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "ecomops.cli", "serve", "--host", host, "--port", str(port),
         "--warehouse", str(warehouse)],
        cwd=REPO, env=clean_environment(root, extra_environment), stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"ecomops serve exited {process.returncode}: {Path(log.name).read_text()}")
            try:
                urllib.request.urlopen(f"{base}/api/v1/openapi.json", timeout=2).close()
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def serving_of(warehouse: Path) -> Path:
    return warehouse_paths(warehouse, warehouse.parent / "landing").serving


def sql(warehouse: Path, query: str, parameters=()) -> list[dict]:
    with duckdb.connect(str(serving_of(warehouse)), read_only=True) as con:
        cursor = con.execute(query, list(parameters))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


def totals_sql(warehouse: Path, start: str, end: str, shops: list[str]) -> dict:
    """The range's totals as SQL over kpi_shop_daily gives them: summed parts, divided once."""
    marks = ", ".join("?" for _ in shops)
    (row,) = sql(warehouse, f"""
        select sum(gmv) as gmv, sum(paid_amount) as paid_amount, sum(paid_orders) as paid_orders,
               sum(paid_amount) / sum(paid_buyers) as arpu, sum(refund_amount) / sum(paid_amount) as refund_rate,
               sum(traffic_paid_buyers) / sum(visitors) as payment_conversion,
               sum(gross_profit) as gross_profit, sum(contribution_profit) as contribution_profit,
               sum(attributed_gmv) / sum(ad_spend) as roas
        from marts.kpi_shop_daily where date between ? and ? and shop_code in ({marks})""", [start, end, *shops])
    return row


class Client:
    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def request(self, path: str, body: dict | None = None, **params) -> tuple[int, object]:
        query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.base}{path}{'?' + query if query else ''}", data=data,
                                         headers={"Content-Type": "application/json"} if data else {})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def download(self, path: str, **params) -> tuple[str, bytes]:
        """A file the API sends (CSV, XLSX): its content type and bytes."""
        query = urllib.parse.urlencode(params)
        with self.opener.open(f"{self.base}{path}?{query}", timeout=30) as response:
            return response.headers["Content-Type"], response.read()

    def ok(self, path: str, **params):
        status, body = self.request(path, **params)
        assert status == 200, (path, params, body)
        return body
