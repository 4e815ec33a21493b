"""A generated landing loaded into a DuckDB file, and a copy of the dbt project to run dbt on it.

The copy lives in the test's folder, so runs never share transform/target or logs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from demo_data import generate
from ingestion import load_landing

TRANSFORM = Path(__file__).resolve().parents[1] / "transform"
DBT = str(Path(sys.executable).parent / "dbt")


@dataclass(frozen=True)
class LoadedProject:
    warehouse: Path
    project: Path
    env: dict[str, str]

    def run(self, *command: str) -> subprocess.CompletedProcess:
        """A command in the project's copy (e.g. `DBT, "build", "--profiles-dir", "."`), which must succeed."""
        result = subprocess.run(command, cwd=self.project, env=self.env, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
        return result


def loaded_project(root: Path, shops: int, days: int, salt: str) -> LoadedProject:
    """`shops` × `days` generated under `root`, loaded by the ingestion into root/warehouse.duckdb, nothing built."""
    generate(root / "landing", shops=shops, days=days)
    warehouse = root / "warehouse.duckdb"
    load_landing(root / "landing", warehouse, root / "quarantine", root / ".dlt")
    project = root / "project"
    shutil.copytree(TRANSFORM, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    env = {**os.environ, "ECOMOPS_WAREHOUSE": str(warehouse), "ECOMOPS_BUYER_SALT": salt,
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1"}
    return LoadedProject(warehouse, project, env)
