"""Platform sync against the platform simulator over real HTTP, into a real DuckDB file through dlt: per platform a
full then an incremental sync landing the book's records, an order moved while paged, throttling waited out, an
expired token refreshed and stored, clear failures, and a sync killed with SIGKILL resuming to the same rows."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from demo_data import DEFAULT_START, generate
from ingestion import load_landing
from ingestion.convert import ARROW_TYPES
from ingestion.pipeline import duckdb_paths
from platform_simulator import running_simulator
from platform_simulator.book import wall_of
from platform_sync import SyncError, SyncStats, sync_platform
from platform_sync.apis import platform_apis
from platform_sync.fieldmap import canonical_columns
from platform_sync.reading import window_length, windows_to_read
from platform_sync.source import DEFAULT_OVERLAP, PRIMARY_KEYS
from platform_sync.sync import TOKEN_FOLDER
from platform_sync.tokens import ShopTokens, TokenStore
from simulated_platforms import secrets_toml, shops_of

PLATFORMS = ["taobao", "tmall", "pdd", "jd", "douyin"]
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
SINCE = dt.datetime.combine(DEFAULT_START, dt.time(0), SHANGHAI).astimezone(dt.timezone.utc)
WINDOW = 6 * 3600  # within every platform's limit but PDD's 30 minutes (the sync keeps to the limit)
TIMESTAMPTZ = "TIMESTAMP WITH TIME ZONE"
DUCKDB_TYPES = {"string": "VARCHAR", "int64": "BIGINT", "double": "DOUBLE", "timestamp[us, tz=UTC]": TIMESTAMPTZ}
LINEAGE = {"modified_at": TIMESTAMPTZ, "_api_method": "VARCHAR", "_window_start": TIMESTAMPTZ,
           "_window_end": TIMESTAMPTZ, "_page": "BIGINT", "_dlt_load_id": "VARCHAR"}


@pytest.fixture
def sim():
    with running_simulator(shops=10, days=2) as simulator:  # two shops per platform
        yield simulator


def paths_in(root: Path):
    return duckdb_paths(root / "warehouse.duckdb", root / "landing", root / "quarantine", root / ".dlt", root / "m")


def sync(sim, platform, root: Path, *, secret=None, stats=None, **options):
    """One sync of the platform's shops, the credentials given as the simulator issued them."""
    shops = shops_of(sim, platform)
    app = sim.credentials[shops[0]]
    tokens = {shop: ShopTokens(sim.credentials[shop].access_token, sim.credentials[shop].refresh_token)
              for shop in shops}
    options = {"since": SINCE, "window_seconds": WINDOW, **options}
    return sync_platform(paths_in(root), platform, shops, clock=lambda: sim.clock.now, gateway=sim.gateway(platform),
                         token_endpoint=sim.token_endpoint(platform), app_key=app.app_key,
                         app_secret=secret or app.secret, tokens=tokens, stats=stats or SyncStats(), **options)


def query(root: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as connection:
        return connection.sql(sql).fetchall()


def latest(root: Path, platform: str, resource: str) -> dict[str, dict]:
    """Per record id, its newest raw version: modified time, status and the number of its rows."""
    key, status, amount, created = (("order_id", "status", "order_paid_amount", "created_at") if resource == "orders"
                                    else ("refund_id", "refund_status", "refund_amount", "requested_at"))
    rows = query(root, f"""
        select * from (select {key}, modified_at, any_value({status}), count(*), any_value({amount}),
                              any_value({created}) from raw.{platform}_api_{resource} group by {key}, modified_at)
        qualify modified_at = max(modified_at) over (partition by {key})""")
    return {str(row[0]): {"modified": row[1], "status": row[2], "rows": row[3], "yuan": row[4], "created": row[5]}
            for row in rows}


def expected(sim, platform, resource, last_end: dt.datetime, since: dt.datetime = SINCE) -> dict[str, dict]:
    """The book's records a sync up to `last_end` must hold: modified since `since` up to `last_end` as of now."""
    apis = platform_apis()[platform].resources[resource]
    at, low, high = wall_of(sim.clock.now), wall_of(since), wall_of(last_end)
    found = {}
    for shop in shops_of(sim, platform):
        book = sim.books[shop]
        for record_id, created, modified, source in book.records(resource, at):
            state = book.state_of(resource, source, at)
            if low <= modified <= high and (apis.listed_states is None or state in apis.listed_states):
                fen = source.paid_amount if resource == "orders" else source[1].refund.amount
                found[record_id] = {"modified": instant(modified), "status": str(apis.statuses[state]),
                                    "rows": len(source.lines) if resource == "orders" else 1, "yuan": fen / 100,
                                    "created": instant(created)}
    return found


def instant(wall: int) -> dt.datetime:
    """A generator wall-clock (Shanghai) second as the UTC instant raw tables hold."""
    return dt.datetime.fromtimestamp(wall - 8 * 3600, dt.timezone.utc)


def last_end(sim, platform, resource="orders") -> dt.datetime:
    """The end of the last closed window a sync reads now."""
    apis = platform_apis()[platform].resources[resource]
    return windows_to_read(apis, SINCE, sim.clock.now, window_length(apis, WINDOW), dt.timedelta(0))[-1].end


def assert_holds_the_book(sim, platform, root, since=SINCE):
    for resource in ("orders", "refunds"):
        want = expected(sim, platform, resource, last_end(sim, platform, resource), since)
        have = latest(root, platform, resource)
        assert want and {key: have.get(key) for key in want} == want, resource
        assert set(have) <= {record_id for shop in shops_of(sim, platform)
                             for record_id, *_ in sim.books[shop].records(resource, wall_of(sim.clock.now))}
        keys = ", ".join(PRIMARY_KEYS[resource])
        assert query(root, f"select count(*) - count(distinct ({keys})) from raw.{platform}_api_{resource}") == [(0,)]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_full_then_an_incremental_sync_land_the_books_records(sim, platform, tmp_path):
    loads = []
    first = sync(sim, platform, tmp_path, windows_per_load=4,
                 progress=lambda stats: loads.append((stats.windows, stats.windows_left)))
    assert first.windows > 0 and first.rows > 0 and first.retries == 0
    assert len(loads) > 1 and loads[-1] == (first.windows, 0)  # load after load until caught up
    assert [done for done, _ in loads] == sorted(done for done, _ in loads)
    assert_holds_the_book(sim, platform, tmp_path)
    for resource in ("orders", "refunds"):  # the raw contract: the export raw tables' names and types, plus lineage
        columns = dict(query(tmp_path, f"select column_name, data_type from information_schema.columns "
                                       f"where table_schema = 'raw' and table_name = '{platform}_api_{resource}'"))
        canonical = {name: DUCKDB_TYPES[str(ARROW_TYPES[kind])] for name, kind in canonical_columns()[resource].items()}
        assert {name: columns.get(name) for name in canonical} == canonical
        assert {name: columns.get(name) for name in LINEAGE} == LINEAGE and "shop_code" in columns

    cursors = {resource: last_end(sim, platform, resource) for resource in ("orders", "refunds")}
    sim.clock.advance(hours=12)
    second = sync(sim, platform, tmp_path)
    new_windows = sum(len(windows_to_read(apis, cursors[name], sim.clock.now, window_length(apis, WINDOW),
                                          DEFAULT_OVERLAP))
                      for name, apis in platform_apis()[platform].resources.items()) * len(shops_of(sim, platform))
    assert 0 < second.windows == new_windows < first.windows  # only the windows since the cursor, and the overlap
    assert_holds_the_book(sim, platform, tmp_path)


@pytest.mark.parametrize("platform", ["taobao", "douyin"])  # paged backwards, forwards
def test_a_backfill_reads_its_range_again_and_leaves_the_same_rows(sim, platform, tmp_path):
    first = sync(sim, platform, tmp_path)
    overlap_only = sync(sim, platform, tmp_path).windows  # caught up: a sync re-reads just the overlap
    before = raw_rows(tmp_path, platform)
    again = sync(sim, platform, tmp_path, backfill=SINCE, windows_per_load=3)
    assert again.windows == first.windows  # every window again, over several loads, though the cursors were at the end
    assert raw_rows(tmp_path, platform) == before
    assert sync(sim, platform, tmp_path).windows == overlap_only  # the cursors walked back to where they were


@pytest.mark.parametrize("platform", PLATFORMS)
def test_an_order_modified_while_it_is_paged_is_neither_lost_nor_duplicated(sim, platform, tmp_path):
    shop = shops_of(sim, platform)[0]
    since = SINCE + dt.timedelta(hours=36)  # the last day's busy afternoon: windows of several pages
    moved = sim.faults.move_during_paging(shop, "orders", after_calls=2, position=0)  # within the first window's pages
    sync(sim, platform, tmp_path, page_size=5, since=since)
    assert moved.moved is not None
    moved_at = sim.clock.now.replace(microsecond=0)
    sim.clock.advance(hours=7)  # the window holding the move closes
    sync(sim, platform, tmp_path, page_size=5, since=since)
    assert_holds_the_book(sim, platform, tmp_path, since)
    assert latest(tmp_path, platform, "orders")[moved.moved]["modified"] == moved_at


@pytest.mark.parametrize("platform", PLATFORMS)
def test_throttling_is_waited_out(sim, platform, tmp_path):
    since = SINCE + dt.timedelta(hours=36)
    calls = sync(sim, platform, tmp_path / "unthrottled", since=since, page_size=20).calls
    every = calls // 3  # three throttled answers, each naming (or defaulting to) a 1 s wait
    throttle = sim.faults.fail_every(every, "throttled", platforms=(sim.protocol(platform).name,), wait=1)
    stats = sync(sim, platform, tmp_path, since=since, page_size=20)
    assert stats.throttle_waits == throttle.calls // every >= 3
    assert stats.throttle_wait_seconds == pytest.approx(stats.throttle_waits * 1.0)
    assert_holds_the_book(sim, platform, tmp_path, since)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_an_expired_token_is_refreshed_and_the_new_pair_stored(sim, platform, tmp_path):
    shop = shops_of(sim, platform)[0]
    old = sim.credentials[shop]
    sim.tokens.expire(shop)
    stats = sync(sim, platform, tmp_path)
    assert stats.token_refreshes == 1
    folder = tmp_path / ".dlt" / TOKEN_FOLDER
    stored = TokenStore(folder).load(platform, shop)
    assert stored.access_token != old.access_token and stored.refresh_token != old.refresh_token
    assert sim.tokens.shop_of(stored.access_token) == shop and sim.tokens.shop_of(stored.refresh_token, refresh=True)
    assert stat.S_IMODE((folder / platform / f"{shop}.json").stat().st_mode) == 0o600
    assert_holds_the_book(sim, platform, tmp_path)
    sim.clock.advance(hours=7)
    again = sync(sim, platform, tmp_path)  # the stored pair wins over the configured (now retired) one
    assert again.token_refreshes == 0 and again.windows > 0


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_bad_secret_fails_with_a_clear_message(sim, platform, tmp_path):
    shop = shops_of(sim, platform)[0]
    with pytest.raises(SyncError) as failed:
        sync(sim, platform, tmp_path, secret="not-the-secret")
    message = str(failed.value)
    apis = platform_apis()[platform]
    assert f"{platform} shop {shop}: {apis.resources['orders'].list.api} failed: bad_signature" in message
    assert str(apis.errors["bad_signature"].code) in message and "app_secret" in message
    assert "not-the-secret" not in message


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_revoked_authorisation_and_a_missing_permission_stop_with_the_platforms_code(sim, platform, tmp_path):
    first, second = shops_of(sim, platform)
    apis = platform_apis()[platform]
    sim.tokens.revoke(first)
    with pytest.raises(SyncError, match=f"{platform} shop {first}: .*refresh_rejected .*authorise the app again"):
        sync(sim, platform, tmp_path / "revoked")
    sim.credentials[first] = sim.credentials[second]  # the test's sync then reads the second shop's pair for both
    refunds = apis.resources["refunds"].list.api
    sim.faults.deny(second, refunds)
    with pytest.raises(SyncError) as failed:
        sync(sim, platform, tmp_path / "denied")
    assert failed.value.meaning == "missing_permission" and failed.value.api == refunds
    assert str(apis.errors["missing_permission"].code) in str(failed.value)


@pytest.mark.parametrize("resource", ["orders", "refunds"])
def test_a_jd_success_whose_api_result_says_it_failed_stops_with_jds_words(sim, resource, tmp_path):
    """JD can answer a success envelope whose apiResult (queryResult) says success=false: no records, a reason."""
    shop = shops_of(sim, "jd")[0]
    listing = platform_apis()["jd"].resources[resource].list
    sim.faults.fail_in_result(shop, listing.api)
    with pytest.raises(SyncError) as failed:
        sync(sim, "jd", tmp_path)
    (path, fixed), = listing.result_fields.items()
    assert failed.value.meaning == "result_failed" and failed.value.api == listing.api
    assert f"jd shop {shop}: {listing.api} failed" in str(failed.value)
    assert f"{path} says it failed (success=False" in str(failed.value)
    # JD's words come along where its result object carries them (orders' error codes; refunds' has a flag only)
    assert ("查询失败" in str(failed.value)) == any(not isinstance(value, bool) for value in fixed.values())


CHILD = """
import datetime as dt, json, sys
from pathlib import Path
from ingestion.pipeline import duckdb_paths
from platform_sync import sync_platform
args = json.loads(sys.argv[1])
root, now = Path(args["root"]), dt.datetime.fromisoformat(args["now"])
paths = duckdb_paths(root / "warehouse.duckdb", root / "landing", root / "quarantine", root / ".dlt", root / "m")
sync_platform(paths, args["platform"], args["shops"], since=dt.datetime.fromisoformat(args["since"]),
              clock=lambda: now, gateway=args["gateway"], token_endpoint=args["token_endpoint"],
              window_seconds=args["window"], windows_per_load=args["windows_per_load"])
"""


def child_sync(sim, platform, root: Path, project: Path) -> subprocess.Popen:
    """The sync in a process of its own, its credentials read by dlt from the project's .dlt/secrets.toml."""
    orders = platform_apis()[platform].resources["orders"]
    args = {"root": str(root), "now": sim.clock.now.isoformat(), "since": SINCE.isoformat(), "platform": platform,
            "shops": shops_of(sim, platform), "gateway": sim.gateway(platform),
            "token_endpoint": sim.token_endpoint(platform), "window": WINDOW,
            "windows_per_load": -(-len(windows_to_read(orders, SINCE, sim.clock.now, window_length(orders, WINDOW),
                                                       dt.timedelta(0))) // 4)}  # four loads
    return subprocess.Popen([sys.executable, "-c", CHILD, json.dumps(args)], cwd=project,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def raw_rows(root: Path, platform: str) -> dict[str, list[tuple]]:
    return {resource: query(root, f"select * exclude (_dlt_load_id, _dlt_id) from raw.{platform}_api_{resource} "
                                  "order by all") for resource in ("orders", "refunds")}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_sync_killed_mid_window_resumes_to_the_same_raw_rows(sim, platform, tmp_path):
    project = tmp_path / "project"
    (project / ".dlt").mkdir(parents=True)
    (project / ".dlt" / "secrets.toml").write_text(secrets_toml(sim, platform), encoding="utf-8")
    before = len(sim.journal)
    reference = child_sync(sim, platform, tmp_path / "reference", project)
    assert reference.wait(timeout=300) == 0, reference.stdout.read().decode()
    calls = len(sim.journal) - before

    before = len(sim.journal)
    killed = child_sync(sim, platform, tmp_path / "resumed", project)
    while killed.poll() is None and len(sim.journal) - before < calls // 2:
        time.sleep(0.002)
    assert killed.poll() is None, "the sync ended before it could be killed"
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait(timeout=60)
    landed = query(tmp_path / "resumed", f"select count(*) from raw.{platform}_api_orders")[0][0]
    # killed between its first and its last load
    assert 0 < landed < len(raw_rows(tmp_path / "reference", platform)["orders"])
    resumed = child_sync(sim, platform, tmp_path / "resumed", project)
    assert resumed.wait(timeout=300) == 0, resumed.stdout.read().decode()
    assert raw_rows(tmp_path / "resumed", platform) == raw_rows(tmp_path / "reference", platform)


def test_api_rows_carry_the_export_raw_rows_keys_and_values(sim, tmp_path):
    """Staging unions the two on (shop_code, order_id, line_id): every API order line is an export line of the
    same book with the same amounts (JD's line amount allocated as its export states it), quantity, SKU and item;
    a refund both hold has the same order, line and amount. JD's refund-apply API names no refunded item (so no
    refund line)."""
    generate(tmp_path / "landing", shops=10, days=2, workers=1)
    load_landing(tmp_path / "landing", tmp_path / "warehouse.duckdb", tmp_path / "quarantine", tmp_path / ".dlt")
    for platform in PLATFORMS:
        sync(sim, platform, tmp_path)
        columns = "shop_code, order_id, line_id, order_paid_amount, line_paid_amount, quantity, sku_code, platform_item_id"
        exported, synced = (set(query(tmp_path, f"select {columns} from raw.{table}"))
                            for table in (f"{platform}_orders", f"{platform}_api_orders"))
        assert synced and synced <= exported, platform
        line = "" if platform == "jd" else "line_id, "
        exported, synced = ({row[0]: row for row in query(
            tmp_path, f"select refund_id, shop_code, order_id, {line}refund_amount from raw.{table}")}
            for table in (f"{platform}_refunds", f"{platform}_api_refunds"))
        shared = set(exported) & set(synced)
        assert shared and {exported[key] for key in shared} == {synced[key] for key in shared}, platform
