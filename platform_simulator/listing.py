"""The list and detail APIs of a resource, as protocols/*.yaml describes them: the window on modified time within
its limits, the page and page size, the sort order, the payload paths. Limits broken are refused."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from platform_sync.apis import DetailApi, PlatformApis, Resource

from .book import SHANGHAI_OFFSET, ShopBook, set_path, render


class Refused(Exception):
    """A call the platform refuses: the error meaning and the sub message it answers with."""

    def __init__(self, meaning: str, detail: str | None = None):
        super().__init__(f"{meaning}: {detail}")
        self.meaning = meaning
        self.detail = detail


def parse_time(text: str, time_format: str) -> int:
    """A window bound as wall-clock seconds."""
    try:
        if time_format == "epoch_seconds":
            return int(text) + SHANGHAI_OFFSET
        parsed = dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
        return int(parsed.replace(tzinfo=dt.timezone.utc).timestamp())
    except (TypeError, ValueError):
        raise Refused("invalid_argument", f"{text!r} is not a {time_format} time") from None


def _integer(params: Mapping[str, Any], name: str, default: int) -> int:
    value = params.get(name)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Refused("invalid_argument", f"{name} must be an integer") from None


def _wanted(params: Mapping[str, Any], fields_param: str | None, partial_fields: tuple[str, ...] | None) -> set | None:
    if fields_param is None:
        return set(partial_fields) if partial_fields else None
    asked = params.get(fields_param)
    if not asked:
        raise Refused("invalid_argument", f"missing required arguments: {fields_param}")
    wanted = {name.strip().split(".")[0] for name in str(asked).split(",")}
    return wanted & set(partial_fields) if partial_fields else wanted


FAILED_REASON = "查询失败 (simulated)"


def list_records(apis: PlatformApis, resource: Resource, book: ShopBook, params: Mapping[str, Any],
                 now: int, failed: bool = False) -> tuple[dict[str, Any], list[str]]:
    """The payload of one list call, and the ids of the whole window in the order answered; `failed`: a success
    envelope whose result objects say the call failed (flags false, a reason in their text fields), no records."""
    api = resource.list
    window = api.window
    for name in (window.start, window.end):
        if params.get(name) in (None, ""):
            raise Refused("invalid_argument", f"missing required arguments: {name}")
    start, end = parse_time(params[window.start], window.format), parse_time(params[window.end], window.format)
    if end < start:
        raise Refused("invalid_argument", f"{window.end} is before {window.start}")
    if end - start > window.max_seconds:
        raise Refused("invalid_argument", f"the window {window.start}..{window.end} may span at most "
                                          f"{window.max_seconds} seconds")
    if end > now - window.end_lag_seconds:
        raise Refused("invalid_argument", f"{window.end} must be at least {window.end_lag_seconds} seconds "
                                          "before platform time")
    if start < now - window.history_days * 86400:
        raise Refused("invalid_argument", f"{window.start} is more than {window.history_days} days ago")
    for name, value in api.set_params.items():
        if str(params.get(name, "")) != str(value):
            raise Refused("invalid_argument", f"{name} must be {value}")
    size = _integer(params, api.page_size_param, api.page_size_default)
    if not 1 <= size <= api.page_size_max:
        raise Refused("invalid_argument", f"{api.page_size_param} must be between 1 and {api.page_size_max}")
    page = _integer(params, api.page_param, api.page_base)
    if page < api.page_base:
        raise Refused("invalid_argument", f"{api.page_param} starts at {api.page_base}")
    wanted = _wanted(params, api.fields_param, resource.list_fields if resource.partial else None)

    sort = api.sort
    by_value = params.get(sort.field_param) if sort.field_param else None
    by = {value: key for key, value in sort.field_values.items()}.get(by_value, sort.field_default)
    direction_value = params.get(sort.direction_param) if sort.direction_param else None
    direction = {value: key for key, value in sort.direction_values.items()}.get(
        str(direction_value).lower() if direction_value is not None else None, sort.direction_default)
    records = [record for record in book.records(resource.name, now) if start <= record[2] <= end
               and (resource.listed_states is None
                    or book.state_of(resource.name, record[3], now) in resource.listed_states)]
    records.sort(key=lambda record: (record[2] if by == "modified" else record[1], record[0]),
                 reverse=direction == "desc")
    offset = (page - api.page_base) * size
    shown = records[offset:offset + size]

    payload: dict[str, Any] = {}
    for path, fixed in api.result_fields.items():
        set_path(payload, path, {name: (not value if isinstance(value, bool) else FAILED_REASON) if failed else value
                                 for name, value in fixed.items()})
    if failed:
        return payload, []
    set_path(payload, api.records, [render(resource, book.view(resource.name, source, modified, now), apis.values,
                                           wanted) for _, _, modified, source in shown])
    use_has_next = api.has_next_switch and str(params.get(api.has_next_switch, "")).lower() == "true"
    if api.total and not use_has_next:
        set_path(payload, api.total, len(records))
    if api.has_next and (use_has_next or not api.has_next_switch):
        set_path(payload, api.has_next, offset + size < len(records))
    for field_name, param in api.echo.items():
        set_path(payload, field_name, page if param == api.page_param else size)
    return payload, [record[0] for record in records]


def detail_record(apis: PlatformApis, resource: Resource, detail: DetailApi, book: ShopBook,
                  params: Mapping[str, Any], now: int) -> dict[str, Any]:
    """The payload of a detail call: the whole record (the fields asked for, where the API asks)."""
    wanted = _wanted(params, detail.fields_param, None)
    record_id = str(params.get(detail.id_param, ""))
    found = next((record for record in book.records(resource.name, now) if record[0] == record_id), None)
    if found is None:
        raise Refused("invalid_argument", f"no such {resource.name[:-1]}: {detail.id_param}={record_id!r}")
    payload: dict[str, Any] = {}
    set_path(payload, detail.record, render(resource, book.view(resource.name, found[3], found[2], now), apis.values,
                                        wanted))
    return payload
