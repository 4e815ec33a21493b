"""Fixed, closed windows on modified time: what an incremental sync reads next.

A window is [start, end) in platform time. Windows are cut on a fixed grid (multiples of the window
length since the epoch), so a rerun, a resumed sync and a backfill ask the platform for the same
windows. The last window ends `lag` before now: the platforms index changes late, and PDD refuses a
window ending within 3 minutes of its clock. A sync re-reads `overlap` before its cursor, so a record
indexed late in an earlier window is still read; the raw table merges on the record's id.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


@dataclass(frozen=True)
class Window:
    start: dt.datetime
    end: dt.datetime

    def __str__(self) -> str:
        return f"{self.start:%Y-%m-%d %H:%M:%S}–{self.end:%H:%M:%S} UTC"


def _floor(moment: dt.datetime, length: dt.timedelta) -> dt.datetime:
    return EPOCH + ((moment - EPOCH) // length) * length


def closed_windows(since: dt.datetime, now: dt.datetime, length: dt.timedelta, lag: dt.timedelta,
                   overlap: dt.timedelta = dt.timedelta(0)) -> Iterator[Window]:
    """The grid windows from `since - overlap` up to the last one that ends at least `lag` before `now`."""
    if since.tzinfo is None or now.tzinfo is None:
        raise ValueError("windows are cut on aware datetimes (UTC): a naive one is ambiguous")
    start = _floor(since - overlap, length)
    last_end = now - lag
    while start + length <= last_end:
        yield Window(start, start + length)
        start += length
