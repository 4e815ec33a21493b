"""Runs executed inside an `ecomops` process, and the repair of those whose process was killed.

A run executed in process claims the `warehouse` pool slot in the Dagster instance. When its process
is killed (SIGKILL, out of memory, a power cut), nothing marks the run finished: it stays STARTED and
keeps the slot, so every later run of the instance (`ecomops run`, the UI's, the sensor's) waits for
the slot forever. Dagster's run monitoring cannot tell, since no run launcher started the process.
So the process holds an exclusive lock on a file named after its run for as long as the run lasts;
the kernel drops the lock when the process dies, however it dies. Before a run starts, every run whose
file is no longer locked is marked failed and its pool slots are freed.
"""

from __future__ import annotations

import fcntl
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

RUN_LOCKS_DIR = "ecomops_run_locks"  # in the Dagster instance's folder (DAGSTER_HOME)
LOCK_SUFFIX = ".lock"
UNLOCKED_GRACE_SECONDS = 60  # a `.locking` file this young may be between its creation and its lock
KILLED_RUN_MESSAGE = ("The process executing this run ended without finishing it (killed, or out of memory); "
                      "its warehouse pool slot was freed for the next run. Its steps are redone by the next run.")


def execute_job_in_process(job: dg.JobDefinition, instance: dg.DagsterInstance, **kwargs) -> dg.ExecuteInProcessResult:
    """`job.execute_in_process`, after releasing the runs of killed processes, with this run's lock held."""
    for released in release_killed_runs(instance):
        dg.get_dagster_logger().warning(f"run {released} was left unfinished by a killed process: marked failed")
    run_id = str(uuid.uuid4())
    with _lock_held_while_running(_locks_dir(instance), run_id):
        return job.execute_in_process(instance=instance, run_id=run_id, **kwargs)


def release_killed_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark failed the unfinished runs whose process died, and free their pool slots. Returns their run ids."""
    released = []
    for path in sorted(_locks_dir(instance).iterdir()):
        try:
            if path.suffix != LOCK_SUFFIX and time.time() - path.stat().st_mtime < UNLOCKED_GRACE_SECONDS:
                continue
            descriptor = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            continue  # renamed by its process, or released by another one, meanwhile
        try:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # its process is still running the run
            if path.suffix == LOCK_SUFFIX:  # else its process died before the run started
                run_id = path.stem
                run = instance.get_run_by_id(run_id)
                if run is not None and not run.is_finished:
                    instance.report_run_failed(run, KILLED_RUN_MESSAGE)
                    released.append(run_id)
                if instance.event_log_storage.supports_global_concurrency_limits:
                    instance.event_log_storage.free_concurrency_slots_for_run(run_id)
            path.unlink(missing_ok=True)
        finally:
            os.close(descriptor)
    return released


def _locks_dir(instance: dg.DagsterInstance) -> Path:
    folder = Path(instance.root_directory) / RUN_LOCKS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextmanager
def _lock_held_while_running(folder: Path, run_id: str) -> Iterator[None]:
    """Locked under a temporary name first: no other process can see the file before it is locked."""
    path = folder / f"{run_id}{LOCK_SUFFIX}"
    pending = path.with_suffix(".locking")
    descriptor = os.open(pending, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        os.replace(pending, path)
        try:
            yield
        finally:
            path.unlink(missing_ok=True)
    finally:
        os.close(descriptor)
