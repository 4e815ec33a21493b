"""SIGKILL the whole `ecomops run` process group at random moments, twice in a row, then rerun to completion:
the warehouse and its serving copy must equal those of a clean build, and nothing may be left for a later run to trip on.

ECOMOPS_CRASH_TRIALS asks for more trials than CI's 1 (a trial takes 2 – 3 min; each CI run draws new moments).
The kill moments come from ECOMOPS_CRASH_SEED (random unless set; printed and named in every assertion message,
so `ECOMOPS_CRASH_SEED=<seed>` replays a failure).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import dlt
import duckdb
import pytest

from demo_data import generate
from ecomops.settings import get_settings
from orchestration.landing.sensors import landing_files_sensor
from orchestration.lib.in_process import KILLED_RUN_MESSAGE, RUN_LOCKS_DIR
from orchestration.lib.warehouse import WAREHOUSE_POOL, WarehouseResource

PROJECT = Path(__file__).resolve().parents[1]
ECOMOPS = Path(sys.executable).with_name("ecomops")
TRIALS = int(os.environ.get("ECOMOPS_CRASH_TRIALS") or 1)
SEED = int(os.environ["ECOMOPS_CRASH_SEED"])  # drawn by conftest.py unless set
FIRST_DAY = dt.date(2026, 10, 1)
DAYS = 4
BROKEN_FILE = "taobao/tb01/orders/no_required_columns.csv"
# Tables that count runs and loads, not data, so a killed run adds rows by design: dlt's bookkeeping (loads,
# schema versions, pipeline state) and staging datasets, and the gates' pass records (one per table and dlt load).
BOOKKEEPING = re.compile(r"^(raw|alerts)\._dlt_|^\w+_staging\.|^quality\.gate_passes$")


@dataclass
class Outcome:
    returncode: int
    killed: bool
    seconds: float
    log: Path

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


@dataclass
class Build:
    """One warehouse built from the shared landing: its own serving copy, quarantine, dlt folder and Dagster home."""

    root: Path
    landing: Path
    timeout: float = 900  # seconds a run may take before it counts as hung
    runs: list[Outcome] = field(default_factory=list)

    def __post_init__(self):
        (self.root / "dagster_home").mkdir(parents=True)
        shutil.copy(PROJECT / "dagster_home" / "dagster.yaml", self.root / "dagster_home")  # pools, monitoring, retries

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def serving(self) -> Path:
        return self.root / "serving.duckdb"

    @property
    def quarantine(self) -> Path:
        return self.root / "quarantine"

    @property
    def dagster_home(self) -> Path:
        return self.root / "dagster_home"

    def environment(self) -> dict[str, str]:
        return {
            **os.environ,
            "ECOMOPS_LANDING": str(self.landing),
            "ECOMOPS_WAREHOUSE": str(self.warehouse),
            "ECOMOPS_SERVING": str(self.serving),
            "ECOMOPS_QUARANTINE": str(self.quarantine),
            "ECOMOPS_BUYER_SALT": "crash-test-salt",  # the same buyer hashes in every build
            "ECOMOPS_FIRST_BUSINESS_DATE": FIRST_DAY.isoformat(),
            "DAGSTER_HOME": str(self.dagster_home),
        }

    def run(self, kill_after: float | None = None, kill_at: str | None = None,
            command: tuple[str, ...] = (str(ECOMOPS), "run")) -> Outcome:
        """`ecomops run` (or another command) in its own process group; SIGKILL the whole group after `kill_after` seconds or on
        the first output line matching `kill_at`. A run still going after `timeout` is killed and fails the test:
        it hung."""
        log = self.root / f"run{len(self.runs)}.log"
        started = time.monotonic()
        process = subprocess.Popen(command, cwd=self.root, env=self.environment(), text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        killed = threading.Event()

        def kill():
            if process.poll() is None:
                killed.set()
                with contextlib.suppress(ProcessLookupError):  # the group ended meanwhile
                    os.killpg(process.pid, signal.SIGKILL)

        def copy_output():
            with log.open("w", encoding="utf-8") as out:
                for line in process.stdout:
                    out.write(line)
                    if kill_at and re.search(kill_at, line):
                        kill()

        reader = threading.Thread(target=copy_output, daemon=True)
        reader.start()
        try:
            process.wait(timeout=kill_after if kill_after is not None else self.timeout)
        except subprocess.TimeoutExpired:
            kill()
            if kill_after is None:
                reader.join()
                pytest.fail(f"{' '.join(command)} hung for {self.timeout:.0f} s (seed {SEED}); log {log}:\n"
                            + Outcome(-9, True, self.timeout, log).tail())
        process.wait()
        reader.join()
        outcome = Outcome(process.returncode, killed.is_set(), time.monotonic() - started, log)
        self.runs.append(outcome)
        return outcome

    def run_to_completion(self, context: str) -> Outcome:
        outcome = self.run()
        assert outcome.returncode == 0, f"{context}: the rerun failed (seed {SEED}):\n{outcome.tail()}"
        return outcome

    def contents(self) -> dict:
        """What a clean build and a crashed-then-rerun build must share."""
        quarantined = {p.relative_to(self.quarantine).as_posix(): p.read_bytes()
                       for p in self.quarantine.rglob("*") if p.is_file()}
        return {"warehouse": _contents(self.warehouse), "serving": _contents(self.serving),
                "quarantine folder": quarantined}

    def leftovers(self) -> list[str]:
        """Files and instance state a finished run must not leave: each would trip or mislead the next run."""
        found = [str(p) for p in self.root.glob("*.wal")]  # a DuckDB file closed cleanly has no WAL
        found += [str(p) for p in self.root.glob(".*publishing*")]
        pipelines = self.root / ".dlt" / self.warehouse.stem
        for name in sorted(p.name for p in pipelines.glob("*")):
            if dlt.attach(pipeline_name=name, pipelines_dir=str(pipelines)).has_pending_data:
                found.append(f"dlt pipeline {name} has load packages not loaded")
        found += [str(p) for p in (self.dagster_home / RUN_LOCKS_DIR).glob("*")]
        with dg.DagsterInstance.from_config(str(self.dagster_home)) as instance:
            found += [f"run {r.run_id} still {r.status.value}" for r in instance.get_runs() if not r.is_finished]
            slots = instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL)
            found += [f"pool slot held by run {s.run_id} step {s.step_key}" for s in slots.claimed_slots]
            found += [f"pending pool claim of run {s.run_id} step {s.step_key}" for s in slots.pending_steps]
        return found


def _value(value):
    """Sums of doubles may differ in the last bits with the order DuckDB's threads add them in."""
    return round(value, 6) if isinstance(value, float) else value


def _contents(path: Path) -> dict:
    """Row count of every table, and every kpi_shop_daily value but the bookkeeping columns (`_built_at`, ...)."""
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute("select schema_name, table_name from duckdb_tables() where database_name = current_database()"
                             " order by 1, 2").fetchall()
        counts = {f"{s}.{t}": con.execute(f'select count(*) from "{s}"."{t}"').fetchall()[0][0] for s, t in tables
                  if not BOOKKEEPING.search(f"{s}.{t}")}
        columns = [name for (name,) in con.execute(
            "select column_name from duckdb_columns() where database_name = current_database() "
            "and schema_name = 'marts' and table_name = 'kpi_shop_daily' order by column_index").fetchall()
            if not name.startswith("_")]
        selected = ", ".join(f'"{c}"' for c in columns)
        kpis = [tuple(_value(v) for v in row) for row in con.execute(
            f"select {selected} from marts.kpi_shop_daily order by all").fetchall()]
    return {"row_counts": counts, "kpi_columns": columns, "kpi_shop_daily": kpis}


def differences(expected: dict, actual: dict) -> list[str]:
    found = [f"quarantine folder {path}: {'missing' if path not in actual['quarantine folder'] else 'differs'}"
             for path in expected["quarantine folder"]
             if actual["quarantine folder"].get(path) != expected["quarantine folder"][path]]
    found += [f"quarantine folder {path}: unexpected" for path in actual["quarantine folder"]
              if path not in expected["quarantine folder"]]
    for database in ("warehouse", "serving"):
        want, got = expected[database], actual[database]
        for table in sorted(set(want["row_counts"]) | set(got["row_counts"])):
            if want["row_counts"].get(table) != got["row_counts"].get(table):
                found.append(f"{database} {table}: {got['row_counts'].get(table)} rows, clean build "
                             f"{want['row_counts'].get(table)}")
        if want["kpi_columns"] != got["kpi_columns"]:
            found.append(f"{database} marts.kpi_shop_daily columns differ: {got['kpi_columns']}")
        else:
            extra = set(got["kpi_shop_daily"]) - set(want["kpi_shop_daily"])
            missing = set(want["kpi_shop_daily"]) - set(got["kpi_shop_daily"])
            for kind, rows in (("unexpected", extra), ("missing", missing)):
                found += [f"{database} kpi_shop_daily {kind} row {dict(zip(want['kpi_columns'], row))}"
                          for row in sorted(rows, key=str)[:5]]
    return found


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("crash") / "landing"
    generate(folder, shops=5, days=DAYS, start=FIRST_DAY, seed=11)
    # A rejected file too: its ledger row and quarantine copy must survive the kills like the rows.
    (folder / BROKEN_FILE).write_text("订单编号,买家会员名\n1,someone\n", encoding="utf-8")
    return folder


def _trial_build(clean_build: Build, folder: Path) -> Build:
    """A fresh build of the clean build's landing; a run taking four times the clean one has hung."""
    return Build(folder, clean_build.landing, timeout=4 * clean_build.runs[0].seconds + 60)


@pytest.fixture(scope="module")
def clean(landing, tmp_path_factory) -> tuple[Build, dict]:
    """The reference: one uninterrupted run of a fresh warehouse."""
    build = Build(tmp_path_factory.mktemp("clean"), landing)
    build.run_to_completion("clean build")
    assert not build.leftovers()
    assert (build.quarantine / BROKEN_FILE).exists(), "the clean build quarantined no file: the test lost its rejected file"
    return build, build.contents()


def _crash_then_rerun(build: Build, clean_contents: dict, kills: list[dict], context: str) -> None:
    outcomes = [build.run(**kill) for kill in kills]
    context = f"{context}, runs: " + ", ".join(
        f"{kill} -> {'killed' if o.killed else f'exit {o.returncode}'} after {o.seconds:.1f} s"
        for kill, o in zip(kills, outcomes))
    print(context)
    build.run_to_completion(context)
    assert not build.leftovers(), f"{context}: left behind {build.leftovers()}"
    found = differences(clean_contents, build.contents())
    assert not found, f"{context}: the rerun differs from a clean build:\n" + "\n".join(found)


@pytest.mark.parametrize("trial", range(TRIALS), ids=lambda trial: f"trial{trial}-ECOMOPS_CRASH_SEED={SEED}")
def test_two_kills_at_random_moments_then_a_rerun_equal_a_clean_build(trial, clean, tmp_path):
    clean_build, clean_contents = clean
    moments = random.Random(f"{SEED}:{trial}")
    duration = clean_build.runs[0].seconds
    kills = [{"kill_after": round(moments.uniform(1, duration), 1)} for _ in range(2)]
    _crash_then_rerun(_trial_build(clean_build, tmp_path), clean_contents, kills,
                      f"trial {trial} of ECOMOPS_CRASH_SEED={SEED} (clean run {duration:.1f} s)")


def test_a_run_killed_in_a_warehouse_step_frees_the_pool_for_the_next_run(clean, tmp_path):
    """Killed in a step of the `warehouse` pool, a run stayed STARTED holding the pool's one slot, and every later
    run of the instance (here `ecomops check`) waited for it forever. The next run marks it failed, frees the slot."""
    clean_build, _ = clean
    build = _trial_build(clean_build, tmp_path)
    killed = build.run(kill_at=r"raw_quality_gates - raw\.")
    assert killed.killed, f"the run ended before its quality gates:\n{killed.tail()}"
    check = build.run(command=(str(ECOMOPS), "check", "--select", "raw/*"))  # the marts were never built
    assert check.returncode == 0, check.tail()
    with dg.DagsterInstance.from_config(str(build.dagster_home)) as instance:
        runs = {run.job_name: run for run in instance.get_runs()}
        assert runs["build_everything"].status == dg.DagsterRunStatus.FAILURE
        failure = instance.all_logs(runs["build_everything"].run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
        assert [event.dagster_event.message for event in failure] == [KILLED_RUN_MESSAGE]
        assert runs["quality_gates"].status == dg.DagsterRunStatus.SUCCESS
    assert not build.leftovers()


# A job of one step that takes the warehouse pool and keeps it, executed the way `ecomops run` executes its job.
POOL_HOLDER = f"""
import time
import dagster as dg
from orchestration.lib.in_process import execute_job_in_process

@dg.op(pool="{WAREHOUSE_POOL}")
def hold_the_pool():
    print("holding the pool", flush=True)
    time.sleep(600)

@dg.job
def pool_holder():
    hold_the_pool()

with dg.DagsterInstance.get() as instance:
    execute_job_in_process(pool_holder, instance)
"""


def test_the_landing_sensor_frees_the_pool_a_killed_run_held(landing, tmp_path, monkeypatch):
    """`make ui` after a killed `ecomops run`: the sensor's runs would wait for the dead run's pool slot forever."""
    build = Build(tmp_path, landing, timeout=300)
    killed = build.run(kill_at="holding the pool", command=(sys.executable, "-c", POOL_HOLDER))
    assert killed.killed, killed.tail()
    for name, value in build.environment().items():
        monkeypatch.setenv(name, value)
    with dg.DagsterInstance.from_config(str(build.dagster_home)) as instance:
        (run,) = instance.get_runs()
        assert run.status == dg.DagsterRunStatus.STARTED
        assert instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL).claimed_slots
        context = dg.build_sensor_context(instance=instance,
                                          resources={"warehouse": WarehouseResource.from_settings(get_settings())})
        assert isinstance(landing_files_sensor(get_settings())(context), dg.RunRequest)  # no serving copy yet: every file is new
        assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.FAILURE
    assert not build.leftovers()
