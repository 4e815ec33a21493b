"""Start a run when export files land: new or changed files, each set of them exactly once."""

import hashlib
import json

import dagster as dg

from ecomops.settings import Settings
from ingestion.landing import pending_files
from orchestration.jobs import build_everything_job
from orchestration.lib.in_process import release_killed_runs
from orchestration.lib.partitions import business_days, range_tags, range_to_build
from orchestration.lib.warehouse import WarehouseResource


def _processed_files(warehouse: WarehouseResource) -> dict[str, tuple[int, int]]:
    """What this warehouse's last published run had processed, read from its own serving copy (the live
    warehouse may be mid-write): another warehouse's ledger never decides what is new here. On Postgres,
    which readers never wait on, from the warehouse's ledger, once a run has been published."""
    paths = warehouse.settings
    if not (paths.run_summary if paths.on_postgres else paths.serving).exists():
        return {}
    if paths.on_postgres:
        with warehouse.open_warehouse(read_only=True) as con:
            rows = con.rows("select _source_file, file_size, file_mtime_ns from raw.ingest_files")
        return {path: (size, mtime_ns) for path, size, mtime_ns in rows}
    with warehouse.connect(read_only=True, database=str(paths.serving)) as con:
        rows = con.execute("select _source_file, file_size, file_mtime_ns from raw.ingest_files").fetchall()
    return {path: (size, mtime_ns) for path, size, mtime_ns in rows}


def landing_files_sensor(settings: Settings) -> dg.SensorDefinition:
    """The sensor requesting runs over the business days of `settings` (the partitions the definitions use)."""
    partitions = business_days(settings)

    @dg.sensor(
        name="landing_files_sensor",
        job=build_everything_job,
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Runs build_everything when new or changed export files appear in the landing folder.",
    )
    def sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
        # A killed `ecomops run` holds the warehouse pool until released: the runs this sensor requests would wait forever.
        release_killed_runs(context.instance)
        pending = pending_files(warehouse.settings.landing, _processed_files(warehouse))
        if not pending:
            return dg.SkipReason("no new or changed export files")
        file_set = hashlib.sha256(json.dumps(pending).encode()).hexdigest()[:20]
        if context.cursor == file_set:
            return dg.SkipReason(f"the {len(pending)} pending files already have a run")
        context.update_cursor(file_set)
        # The run key makes a second request for the same files a no-op, even after a cursor reset.
        return dg.RunRequest(
            run_key=f"landing-{file_set}",
            tags={"ecomops/pending_files": str(len(pending)),
                  **range_tags(*range_to_build(warehouse.settings, partitions))},
        )

    return sensor
