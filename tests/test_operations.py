"""Operations: the landing sensor requests each set of new files once, and readers of the serving copy never block a run."""

from __future__ import annotations

import os

import dagster as dg
import duckdb

from ecomops.cli import main
from ecomops.settings import get_settings, warehouse_paths
from orchestration.landing.sensors import landing_files_sensor
from orchestration.lib.partitions import RANGE_END_TAG, RANGE_START_TAG, business_days
from orchestration.lib.warehouse import WarehouseResource
from orchestration.schedules import daily_refresh_schedule
from orchestration.serving.assets import SERVING_COPY_KEY
from test_ingestion_formats import TAOBAO_HEADER, taobao_line


def _evaluate(warehouse: WarehouseResource, cursor: str | None):
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(instance=instance, cursor=cursor, resources={"warehouse": warehouse})
        result = landing_files_sensor(get_settings())(context)
        return result, context.cursor


def _run(landing) -> int:
    return main(["run", "--landing", str(landing.root), "--warehouse", str(landing.warehouse)])


def test_sensor_requests_new_files_once_and_again_only_for_newer_files(landing, isolated_env):
    # the paths `ecomops run --landing ... --warehouse ...` uses below (isolated_env overrides the derived ones)
    warehouse = WarehouseResource.from_settings(warehouse_paths(landing.warehouse, landing.root, overrides=os.environ))
    landing.write_csv("taobao/tb01/orders/d1.csv", [TAOBAO_HEADER, taobao_line()])

    first, cursor = _evaluate(warehouse, None)
    assert isinstance(first, dg.RunRequest) and first.tags["ecomops/pending_files"] == "1"
    days = business_days(get_settings())
    # nothing published yet: the first run builds every daily partition, later runs yesterday's
    assert first.tags[RANGE_START_TAG] == days.get_first_partition_key() and first.tags[RANGE_END_TAG] == days.get_last_partition_key()
    again, same_cursor = _evaluate(warehouse, cursor)
    assert isinstance(again, dg.SkipReason) and same_cursor == cursor  # the same files never get a second run

    assert _run(landing) == 0  # processes the files and publishes the serving copy the sensor reads
    after_run, _ = _evaluate(warehouse, None)
    assert isinstance(after_run, dg.SkipReason) and "no new" in after_run.skip_message

    landing.write_csv("taobao/tb01/orders/d2.csv", [TAOBAO_HEADER, taobao_line(order="2002")])
    newer, _ = _evaluate(warehouse, cursor)
    assert isinstance(newer, dg.RunRequest) and newer.run_key != first.run_key
    assert newer.tags["ecomops/pending_files"] == "1"
    assert newer.tags[RANGE_START_TAG] == newer.tags[RANGE_END_TAG] == days.get_last_partition_key()


def test_a_reader_holding_the_serving_copy_does_not_block_the_next_run(landing, isolated_env):
    landing.write_csv("taobao/tb01/orders/d1.csv", [TAOBAO_HEADER, taobao_line(order="1"), taobao_line(order="2", line="2")])
    assert _run(landing) == 0
    serving = os.environ["ECOMOPS_SERVING"]
    with duckdb.connect(serving, read_only=True) as analyst:
        assert analyst.execute("select count(*) from marts.fct_orders").fetchall() == [(2,)]
        landing.write_csv("taobao/tb01/orders/d2.csv", [TAOBAO_HEADER, taobao_line(order="3", line="3")])
        assert _run(landing) == 0  # the analyst's open file is the previous copy, not a lock on the warehouse
        assert analyst.execute("select count(*) from marts.fct_orders").fetchall() == [(2,)]
    with duckdb.connect(serving, read_only=True) as next_reader:
        assert next_reader.execute("select count(*) from marts.fct_orders").fetchall() == [(3,)]


def test_every_run_ends_with_a_summary_on_the_serving_copy(landing, isolated_env):
    landing.write_csv("taobao/tb01/orders/d1.csv", [TAOBAO_HEADER, taobao_line(order="1"), taobao_line(order="2", line="2")])
    assert _run(landing) == 0
    with dg.DagsterInstance.get() as instance:
        summary = instance.get_latest_materialization_event(SERVING_COPY_KEY).asset_materialization.metadata
    assert summary["rows_raw"].value >= 2 and summary["rows_marts"].value > 0
    assert summary["checks_passed"].value > 0 and summary["checks_failed"].value == 0


def test_the_daily_schedule_requests_yesterday_once_a_copy_is_published(landing, isolated_env):
    schedule = daily_refresh_schedule(get_settings())
    assert schedule.execution_timezone == "Asia/Shanghai" and schedule.cron_schedule == "30 6 * * *"
    warehouse = WarehouseResource.from_settings(get_settings())
    days = business_days(get_settings())

    def request() -> dg.RunRequest:
        context = dg.build_schedule_context(resources={"warehouse": warehouse})
        (run_request,) = schedule.evaluate_tick(context).run_requests
        return run_request

    before = request()  # a new warehouse: its first run builds every partition
    assert (before.tags[RANGE_START_TAG], before.tags[RANGE_END_TAG]) == (days.get_first_partition_key(),
                                                                          days.get_last_partition_key())
    landing.write_csv("taobao/tb01/orders/d1.csv", [TAOBAO_HEADER, taobao_line()])
    assert _run(landing) == 0
    after = request()
    assert after.tags[RANGE_START_TAG] == after.tags[RANGE_END_TAG] == days.get_last_partition_key()
    assert after.run_key == f"daily-{days.get_last_partition_key()}"  # one run per business day
