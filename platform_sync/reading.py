"""Reading one resource of one shop window by window, as protocols/*.yaml describes its list API.

Windows are fixed and closed (windows.closed_windows, within the platform's window limit, ending its end lag
and a margin before platform time). Pages are read in the platform's direction: backwards from the last page
where the list is sorted by modified time descending (TOP, PDD): a record modified while one pages leaves the
window and the rows behind it move toward page 1, which is read last, so nothing still in the window is
missed. Paging forwards (JD, Douyin), such a move slides a row onto a page already read: when the window's
total changes while paging, the window is read again. A record that left reappears in the window holding its
new modified time. Where the list is partial (TOP), each record is completed by the detail API.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from platform_sync.apis import Resource, dig
from platform_sync.client import PlatformClient
from platform_sync.fieldmap import FieldMap
from platform_sync.protocol import TIMESTAMP_FORMATS
from platform_sync.windows import Window, closed_windows

END_MARGIN = dt.timedelta(minutes=5)  # beyond the platform's own end lag: changes are indexed a little late
FORWARD_READS = 3  # a forwards-paged window whose total keeps changing is read at most this often


@dataclass(frozen=True)
class Page:
    number: int
    api: str
    records: list[dict[str, Any]]


def window_length(resource: Resource, seconds: int | None) -> dt.timedelta:
    """The sync's window: the asked length (default: the platform's advised one) within its limit."""
    window = resource.list.window
    return dt.timedelta(seconds=min(seconds or window.advised_seconds, window.max_seconds))


def windows_to_read(resource: Resource, since: dt.datetime, now: dt.datetime, length: dt.timedelta,
                    overlap: dt.timedelta) -> list[Window]:
    """The closed grid windows from `since` (less the overlap) that end the platform's lag and a margin before now."""
    lag = dt.timedelta(seconds=resource.list.window.end_lag_seconds) + END_MARGIN
    return list(closed_windows(since, now, length, lag, overlap))


def read_window(client: PlatformClient, resource: Resource, fields: FieldMap, window: Window,
                page_size: int | None = None) -> Iterator[Page]:
    """Every page of the window (each record once, first read wins), records completed where the list is partial.
    Pages of `page_size` records (default: the platform's maximum)."""
    size = min(page_size or resource.list.page_size_max, resource.list.page_size_max)
    seen: set[tuple[str, str]] = set()
    pages = _backwards(client, resource, fields, window, size) if resource.list.paging == "backwards" else \
        _forwards(client, resource, fields, window, size)
    for page in pages:
        fresh = []
        for record in page.records:
            key = (str(record.get(resource.id)), str(record.get(resource.modified)))
            if key not in seen:
                seen.add(key)
                fresh.append(record)
        if resource.partial and resource.detail:
            fresh = [_completed(client, resource, fields, record) for record in fresh]
        client.stats.pages += 1
        client.stats.records += len(fresh)
        yield Page(page.number, resource.list.api, fresh)
    client.stats.windows += 1


def _params(resource: Resource, fields: FieldMap, window: Window, page: int, size: int) -> dict[str, Any]:
    api = resource.list
    stamp = TIMESTAMP_FORMATS[api.window.format]
    params: dict[str, Any] = {api.window.start: stamp(window.start), api.window.end: stamp(window.end),
                              api.page_param: page, api.page_size_param: size, **api.set_params}
    sort = api.sort
    if sort.field_param and sort.field_param not in params:
        params[sort.field_param] = sort.field_values["modified"]
    if api.fields_param:
        wanted = resource.list_fields if resource.partial and resource.list_fields else fields.api_fields()
        params[api.fields_param] = ",".join(wanted)
    return params


def _list(client: PlatformClient, resource: Resource, fields: FieldMap, window: Window, page: int,
          size: int) -> tuple[list[dict[str, Any]], int]:
    api = resource.list
    payload = client.call(api.api, _params(resource, fields, window, page, size), api.response)
    client.ensure_succeeded(api.api, payload, api.result_fields)
    return list(dig(payload, api.records) or []), int(dig(payload, api.total) or 0)


def _backwards(client: PlatformClient, resource: Resource, fields: FieldMap, window: Window,
               size: int) -> Iterator[Page]:
    """The first page for the total, then the last page down to the first."""
    api = resource.list
    records, total = _list(client, resource, fields, window, api.page_base, size)
    pages = -(-total // size)
    if pages <= 1:
        yield Page(api.page_base, api.api, records)
        return
    for number in range(api.page_base + pages - 1, api.page_base - 1, -1):
        yield Page(number, api.api, _list(client, resource, fields, window, number, size)[0])


def _forwards(client: PlatformClient, resource: Resource, fields: FieldMap, window: Window,
              size: int) -> Iterator[Page]:
    """Page after page; again from the start while the window's total changed under the paging."""
    api = resource.list
    for _ in range(FORWARD_READS):
        number, first_total, changed = api.page_base, None, False
        while True:
            records, total = _list(client, resource, fields, window, number, size)
            first_total = total if first_total is None else first_total
            changed = changed or total != first_total
            yield Page(number, api.api, records)
            if not records or (number - api.page_base + 1) * size >= total:
                break
            number += 1
        if not changed:
            return


def _completed(client: PlatformClient, resource: Resource, fields: FieldMap, record: dict[str, Any]) -> dict:
    """The list's record with the detail API's whole record over it."""
    detail = resource.detail
    params: dict[str, Any] = {detail.id_param: record[resource.id]}
    if detail.fields_param:
        params[detail.fields_param] = ",".join(fields.api_fields())
    payload = client.call(detail.api, params, detail.response)
    return {**record, **(dig(payload, detail.record) or {})}
