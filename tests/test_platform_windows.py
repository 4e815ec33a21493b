"""The windows a sync walks: fixed, closed, on a grid, ending `lag` before now, re-reading an overlap."""

from __future__ import annotations

import datetime as dt

import pytest

from platform_sync.windows import Window, closed_windows

UTC = dt.timezone.utc
HALF_HOUR = dt.timedelta(minutes=30)
LAG = dt.timedelta(minutes=5)


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 12, 1, hour, minute, tzinfo=UTC)


def test_windows_are_closed_and_end_lag_before_now():
    windows = list(closed_windows(at(10), at(11, 34), HALF_HOUR, LAG))
    assert windows == [Window(at(10), at(10, 30)), Window(at(10, 30), at(11))]  # 11:00-11:30 ends 4 min before now


def test_a_resumed_sync_asks_for_the_same_windows_as_an_uninterrupted_one():
    whole = list(closed_windows(at(0), at(12), HALF_HOUR, LAG))
    resumed = list(closed_windows(at(6, 17), at(12), HALF_HOUR, LAG))
    assert resumed == whole[12:]  # 06:17 lies in the 06:00 window: it is read again whole


def test_the_overlap_re_reads_the_window_before_the_cursor():
    assert next(closed_windows(at(6), at(12), HALF_HOUR, LAG, overlap=dt.timedelta(minutes=10))).start == at(5, 30)


def test_nothing_is_read_before_a_window_has_closed():
    assert list(closed_windows(at(10), at(10, 34), HALF_HOUR, LAG)) == []


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="aware"):
        list(closed_windows(dt.datetime(2026, 12, 1), at(12), HALF_HOUR, LAG))
