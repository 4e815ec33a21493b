"""The Dagster commands of docs/cli.md work from the repo root in a fresh shell: no DAGSTER_HOME exported.

Dagster's CLI reads DAGSTER_HOME from the working directory's `.env` before it opens the instance;
`make install` (which `make test` runs first) writes it there.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@pytest.mark.parametrize("command, listed", [("schedule", "Schedule: daily_refresh"),
                                             ("sensor", "Sensor: landing_files_sensor")])
def test_dagster_lists_schedules_and_sensors_without_an_exported_dagster_home(command, listed, tmp_path):
    assert "DAGSTER_HOME=" in (REPO / ".env").read_text(encoding="utf-8"), "`make install` writes DAGSTER_HOME to .env"
    # What a new terminal has; the warehouse goes to tmp_path only so the test leaves no data/ in the repo.
    env = {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": os.environ.get("HOME", str(tmp_path)),
           "ECOMOPS_WAREHOUSE": str(tmp_path / "warehouse.duckdb")}
    listing = subprocess.run([str(BIN / "dagster"), command, "list", "-w", "workspace.yaml"], cwd=REPO, env=env,
                             capture_output=True, text=True, timeout=300)
    # Without a DAGSTER_HOME, exported or in .env, the command fails: "$DAGSTER_HOME is not set".
    assert listing.returncode == 0, listing.stdout[-3000:] + listing.stderr[-3000:]
    assert listed in listing.stdout
