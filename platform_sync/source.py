"""The dlt source of one platform's shops: resources `orders` and `refunds`, landing as raw.<platform>_api_orders
and raw.<platform>_api_refunds, merged on the record's key and modified time, each shop's cursor in dlt state.

Credentials come from dlt secrets (.dlt/secrets.toml or the environment), never from code:

    [sources.platform_sync.<platform>]            # taobao, tmall, pdd, jd, douyin
    app_key = "..."
    app_secret = "..."
    [sources.platform_sync.<platform>.shops.<shop_code>]
    access_token = "..."
    refresh_token = "..."

A refreshed pair is stored in the token folder (tokens.TokenStore) and preferred over the configured one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import dlt
from dlt.extract.resource import DltResource

from ingestion.api_tables import API_KINDS, API_PRIMARY_KEYS, api_resource
from platform_sync.apis import platform_apis
from platform_sync.client import AppCredentials, PlatformClient, SyncError, SyncStats, utc_now
from platform_sync.fieldmap import FieldMap, canonical_columns, field_map
from platform_sync.reading import read_window, window_length, windows_to_read
from platform_sync.tokens import ShopTokens, TokenStore
from platform_sync.windows import Window

SECTION = "platform_sync"
RESOURCES = API_KINDS
PRIMARY_KEYS = API_PRIMARY_KEYS
DEFAULT_OVERLAP = dt.timedelta(minutes=30)  # re-read before the cursor: changes the platform indexed late
DEFAULT_FIRST_SYNC = dt.timedelta(days=1)  # a shop's first sync reads this far back unless `since` says


def shop_tokens(platform: str, shop: str, store: TokenStore, given: ShopTokens | None = None) -> ShopTokens:
    """The shop's stored (refreshed) pair, else the one given, else the configured one from dlt secrets."""
    stored = store.load(platform, shop)
    if stored is not None or given is not None:
        return stored or given
    prefix = f"sources.{SECTION}.{platform}.shops.{shop}"
    access = dlt.secrets.get(f"{prefix}.access_token")
    if not access:
        raise SyncError(f"{platform} shop {shop}: no access token: set {prefix}.access_token (and refresh_token) "
                        "in .dlt/secrets.toml", platform=platform, shop=shop, api="", meaning=None)
    return ShopTokens(access, dlt.secrets.get(f"{prefix}.refresh_token"))


@dlt.source(section=SECTION, max_table_nesting=0)
def platform_source(platform: str, shops: Sequence[str], app_key: str = dlt.secrets.value,
                    app_secret: str = dlt.secrets.value, *, token_folder: str, since: dt.datetime | None = None,
                    clock: Callable[[], dt.datetime] = utc_now, gateway: str | None = None,
                    token_endpoint: str | None = None, window_seconds: int | None = None, page_size: int | None = None,
                    overlap: dt.timedelta = DEFAULT_OVERLAP, max_windows: int | None = None,
                    tokens: Mapping[str, ShopTokens] | None = None, backfill: dt.datetime | None = None,
                    stats: SyncStats | None = None) -> list[DltResource]:
    """Orders and refunds of `shops` (all of `platform`), read window by window since each shop's cursor (a first
    sync: since `since`). `backfill` reads again from that moment on whatever the cursors say (`ecomops sync
    --since`, a backfill in the UI): the cursors go back to it and walk forward window by window, so a killed
    backfill resumes where it stopped. `max_windows` bounds the windows read per shop and resource in one load.
    Use through `sync_source` (which names the source after the platform, so its secrets section is the
    platform's)."""
    stats = stats if stats is not None else SyncStats()
    store = TokenStore(Path(token_folder))
    app = AppCredentials(app_key, app_secret)
    given = tokens or {}
    clients = {shop: PlatformClient(platform, shop, app, shop_tokens(platform, shop, store, given.get(shop)), store,
                                    gateway=gateway, token_endpoint=token_endpoint, clock=clock, stats=stats)
               for shop in shops}
    now = clock()
    first_since = since or now - DEFAULT_FIRST_SYNC
    return [api_resource(platform, resource, canonical_columns()[resource],
                         _rows(platform, resource, clients, first_since, now, window_seconds, overlap, max_windows,
                               page_size, backfill))
            for resource in RESOURCES]


def _rows(platform: str, resource_name: str, clients: Mapping[str, PlatformClient], since: dt.datetime,
          now: dt.datetime, window_seconds: int | None, overlap: dt.timedelta,
          max_windows: int | None, page_size: int | None,
          backfill: dt.datetime | None = None) -> Iterator[list[dict[str, Any]]]:
    """Raw rows page by page; a shop's cursor moves to a window's end once all its pages are yielded."""
    resource = platform_apis()[platform].resources[resource_name]
    fields = field_map(platform, resource_name)
    length = window_length(resource, window_seconds)
    cursors = dlt.current.resource_state().setdefault("window_end", {})
    for shop, client in clients.items():
        cursor = dt.datetime.fromisoformat(cursors[shop]) if shop in cursors else None
        start = since
        if backfill is not None and (cursor is None or backfill < cursor):
            cursor, start = None, backfill  # read again from there, as a first sync would
        windows = windows_to_read(resource, cursor or start, now, length, overlap if cursor else dt.timedelta(0))
        new = [window for window in windows if cursor is None or window.end > cursor]
        if max_windows is not None and len(new) > max_windows:
            client.stats.windows_left += len(new) - max_windows
            windows = windows[:len(windows) - len(new) + max_windows]
        for window in windows:
            for page in read_window(client, resource, fields, window, page_size):
                rows = _raw_rows(platform, shop, fields, page.records, page.api, window, page.number)
                client.stats.rows += len(rows)
                if rows:
                    yield rows
            cursors[shop] = window.end.isoformat()


def _raw_rows(platform: str, shop: str, fields: FieldMap, records: list[dict[str, Any]], api: str,
              window: Window, page: int) -> list[dict[str, Any]]:
    lineage = {"_api_method": api, "_window_start": window.start, "_window_end": window.end, "_page": page}
    return [{"platform": platform, "shop_code": shop, **row, **lineage}
            for record in records for row in fields.rows(record)]


def sync_source(platform: str, shops: Sequence[str], **options: Any):
    """`platform_source` named after the platform: its secrets are `sources.platform_sync.<platform>.*`,
    its state and schema the platform's own."""
    return platform_source.with_args(name=platform)(platform, list(shops), **options)


def unwrap_sync_error(error: BaseException) -> SyncError | None:
    """The SyncError a dlt step failure carries (dlt wraps what a resource raises)."""
    while error is not None:
        if isinstance(error, SyncError):
            return error
        error = error.__cause__ or error.__context__
    return None
