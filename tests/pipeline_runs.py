"""Whole-pipeline runs inside the test process, as `ecomops run` does them (build_everything_in_process).

The run's settings and its Dagster resources read the environment, as a real run does: these helpers set a
landing's paths (and the warehouse's target) in a MonkeyPatch, then build everything, or a range of days.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from alerts.config import load_alert_config
from ecomops.settings import PACKAGED_ALERT_RULES, get_settings
from orchestration.run import build_everything_in_process

POSTGRES_VARIABLES = ("ECOMOPS_TARGET", "ECOMOPS_POSTGRES_URL", "ECOMOPS_READER_ROLE")


def use_landing(env: pytest.MonkeyPatch, root: Path, landing: Path) -> None:
    """Runs read `landing` and keep their warehouse, quarantine and serving copy in `root`."""
    for name, path in {"ECOMOPS_LANDING": landing, "ECOMOPS_WAREHOUSE": root / "warehouse.duckdb",
                       "ECOMOPS_QUARANTINE": root / "quarantine", "ECOMOPS_SERVING": root / "serving.duckdb"}.items():
        env.setenv(name, str(path))


def use_postgres(env: pytest.MonkeyPatch, url: str, reader_role: str) -> None:
    """Runs build the Postgres database of `url` and grant `reader_role` (roles belong to the whole server)."""
    for name, value in zip(POSTGRES_VARIABLES, ("postgres", url, reader_role)):
        env.setenv(name, value)


def use_duckdb(env: pytest.MonkeyPatch) -> None:
    """Runs build the DuckDB file again (the default target)."""
    for name in POSTGRES_VARIABLES:
        env.delenv(name, raising=False)


def without_alert_channels(env: pytest.MonkeyPatch) -> None:
    """The packaged alert rules, and no channel URL: a test's alerts stay in the warehouse, never sent out."""
    for name in ("ECOMOPS_ALERT_RULES", *(c.url_env for c in load_alert_config(PACKAGED_ALERT_RULES).channels)):
        env.delenv(name, raising=False)


def build(instance: dg.DagsterInstance, partitions: tuple[str, str] | None = None) -> dg.ExecuteInProcessResult:
    """One successful run of everything over `partitions` (first, last day), by default the range a run takes."""
    result = build_everything_in_process(get_settings(), instance, log_level="ERROR", partitions=partitions)
    assert result.success, [e.message for e in result.all_events if e.is_step_failure]
    return result


def partitions_by_asset(result: dg.ExecuteInProcessResult) -> dict[str, set[str | None]]:
    """The partitions each asset of the run materialized (None: an unpartitioned asset)."""
    materialized: dict[str, set[str | None]] = {}
    for event in result.get_asset_materialization_events():
        materialized.setdefault(event.asset_key.to_user_string(), set()).add(event.partition)
    return materialized
