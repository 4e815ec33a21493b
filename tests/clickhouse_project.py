"""The dbt project compiled for ClickHouse (dbt-clickhouse) without a server, for the ClickHouse tests.

dbt compiles with the profile's port closed and without filling its relation cache, so any query it tried
would fail. The one thing it would ask the server is whether each incremental model's table exists
(is_incremental()); the copy of the project compiled here is told instead, by a root-project
is_incremental() (what dbt's unit tests override too): no for a first build (and a full refresh), yes
for an incremental run.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TRANSFORM = REPO / "transform"
BIN = Path(sys.executable).parent
IS_INCREMENTAL_AS_DECLARED = """\
{% macro is_incremental() %}
    {{ return(execute and model.config.materialized == 'incremental' and var('compile_incremental')) }}
{% endmacro %}
"""


def closed_port() -> int:
    """A loopback port nothing listens on: dbt connecting to the profile's server would be refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def compile_for_clickhouse(root: Path, incremental: bool, salt: str,
                           resource_types: tuple[str, ...] = ("model",)) -> dict[str, dict]:
    """`dbt compile --target clickhouse` of every model (and data test) into `root`: the nodes by name."""
    project = root / "project"
    if not project.exists():
        shutil.copytree(TRANSFORM, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
        (project / "macros" / "is_incremental_as_declared.sql").write_text(IS_INCREMENTAL_AS_DECLARED, encoding="utf-8")
    target = root / ("target_incremental" if incremental else "target_first_build")
    env = {
        **os.environ,
        "ECOMOPS_BUYER_SALT": salt,
        "ECOMOPS_CH_HOST": "127.0.0.1",
        "ECOMOPS_CH_PORT": str(closed_port()),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
    }
    command = [str(BIN / "dbt"), "compile", "--target", "clickhouse", "--profiles-dir", ".", "--target-path", str(target),
               "--no-populate-cache", "--select", *(f"resource_type:{kind}" for kind in resource_types),
               "--vars", json.dumps({"compile_incremental": incremental})]
    result = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"dbt compile failed:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
    results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))["results"]
    assert {r["status"] for r in results} == {"success"}, [r for r in results if r["status"] != "success"]
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    return {node["name"]: node for node in manifest["nodes"].values() if node["resource_type"] in resource_types}


def build_order(models: dict[str, dict]) -> list[str]:
    """Model names, each after the models it reads."""
    by_id = {node["unique_id"]: name for name, node in models.items()}
    done: list[str] = []
    while len(done) < len(models):
        ready = [name for name, node in models.items() if name not in done
                 and all(by_id[parent] in done for parent in node["depends_on"]["nodes"] if parent in by_id)]
        assert ready, "a cycle among the models"
        done.extend(sorted(ready))
    return done
