"""The filter every page and endpoint takes (date range, platform, shop), checked before any SQL runs.

A bad value is the caller's mistake: `FilterError` becomes a 400 with its message, never a 500. The shops a
query may read are the filter's shops intersected with the user's: a scoped user naming another shop gets 403.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dashboard.access import User

MAX_RANGE_DAYS = 3660
DEFAULT_RANGE_DAYS = 30


class FilterError(ValueError):
    """A parameter the API cannot answer: 400."""


class ForbiddenShop(PermissionError):
    """A shop outside the user's limit: 403."""


@dataclass(frozen=True)
class Shop:
    shop_code: str
    platform: str
    shop_name: str


@dataclass(frozen=True)
class Filter:
    start: dt.date
    end: dt.date
    shops: tuple[str, ...]  # the shops to read: never empty, always within the user's

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Filter:
        """The period of the same length just before this one."""
        end = self.start - dt.timedelta(days=1)
        return Filter(end - dt.timedelta(days=self.days - 1), end, self.shops)

    def shop_condition(self, column: str = "shop_code") -> tuple[str, list]:
        return f"{column} in ({', '.join('?' for _ in self.shops)})", list(self.shops)


def _date(name: str, value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise FilterError(f"{name} must be a date YYYY-MM-DD, got {value!r}") from None


def parse_filter(start: str | None, end: str | None, platform: str | None, shop: str | None,
                 shops: list[Shop], last_date: dt.date | None, user: User) -> Filter:
    """The filter of a request. Without dates: the last 30 days of data. `shop` may list codes, comma-separated."""
    visible = [s for s in shops if user.may_see(s.shop_code)]
    if not visible:
        raise ForbiddenShop(f"user {user.name} may see no shop of this warehouse")
    today = last_date or dt.date.today()
    end_date = _date("end", end) if end else today
    start_date = _date("start", start) if start else end_date - dt.timedelta(days=DEFAULT_RANGE_DAYS - 1)
    if start_date > end_date:
        raise FilterError(f"start {start_date} is after end {end_date}")
    if (end_date - start_date).days + 1 > MAX_RANGE_DAYS:
        raise FilterError(f"the range may span at most {MAX_RANGE_DAYS} days")
    chosen = visible
    if platform:
        platforms = sorted({s.platform for s in shops})
        if platform not in platforms:
            raise FilterError(f"unknown platform {platform!r}: one of {', '.join(platforms)}")
        chosen = [s for s in chosen if s.platform == platform]
    if shop:
        codes = [code.strip() for code in shop.split(",") if code.strip()]
        known = {s.shop_code for s in shops}
        for code in codes:
            if not user.may_see(code):
                raise ForbiddenShop(f"shop {code!r} is not one of your shops")
            if code not in known:
                raise FilterError(f"unknown shop {code!r}")
        chosen = [s for s in chosen if s.shop_code in codes]
    if not chosen:
        raise FilterError(f"no shop is both on platform {platform!r} and in {shop!r}")
    return Filter(start_date, end_date, tuple(s.shop_code for s in chosen))
