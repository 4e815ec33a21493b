"""The simulator's moving parts a test controls: its clock, the shops' tokens, and the faults it injects."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field


class Clock:
    """The platforms' "now": set or advanced by the test; with `follow_wall` (`ecomops simulate`) it runs on
    from `now` with the wall clock, so a real sync's timestamps fall within the tolerance."""

    def __init__(self, now: dt.datetime, follow_wall: bool = False):
        self._now = now
        self._set_at = dt.datetime.now(dt.timezone.utc) if follow_wall else None

    @property
    def now(self) -> dt.datetime:
        if self._set_at is None:
            return self._now
        return self._now + (dt.datetime.now(dt.timezone.utc) - self._set_at)

    def set(self, now: dt.datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("the simulator's clock takes aware datetimes")
        self._now = now
        if self._set_at is not None:
            self._set_at = dt.datetime.now(dt.timezone.utc)

    def advance(self, **delta: float) -> dt.datetime:
        self._now += dt.timedelta(**delta)
        return self.now


@dataclass(frozen=True)
class App:
    """One open-platform app (the seller's ERP, say): its key and secret."""

    app_key: str
    secret: str


@dataclass(frozen=True)
class Credentials:
    """What a sync needs for one shop: the app, the shop's tokens and the code that authorised it."""

    shop: str
    platform: str
    app_key: str
    secret: str
    access_token: str
    refresh_token: str
    code: str


@dataclass
class Grant:
    shop: str
    expires: dt.datetime
    revoked: bool = False


class Tokens:
    """Access and refresh tokens per shop; refreshing issues a new pair and retires the old one."""

    def __init__(self, clock: Clock):
        self.clock = clock
        self.access: dict[str, Grant] = {}
        self.refresh: dict[str, Grant] = {}
        self.codes: dict[str, str] = {}  # authorisation code -> shop

    def issue(self, shop: str, access_lifetime: int, refresh_lifetime: int) -> tuple[str, str]:
        for grants in (self.access, self.refresh):  # a new pair retires the shop's old one
            for grant in grants.values():
                if grant.shop == shop:
                    grant.revoked = True
        access, refresh = secrets.token_hex(16), secrets.token_hex(16)
        now = self.clock.now
        self.access[access] = Grant(shop, now + dt.timedelta(seconds=access_lifetime))
        self.refresh[refresh] = Grant(shop, now + dt.timedelta(seconds=refresh_lifetime))
        return access, refresh

    def shop_of(self, token: str | None, refresh: bool = False) -> str | None:
        """The shop a live token belongs to; None for an unknown, expired or revoked one."""
        grant = (self.refresh if refresh else self.access).get(token or "")
        if grant is None or grant.revoked or grant.expires <= self.clock.now:
            return None
        return grant.shop

    def expire(self, shop: str) -> None:
        for grant in self.access.values():
            if grant.shop == shop:
                grant.expires = min(grant.expires, self.clock.now)

    def revoke(self, shop: str) -> None:
        """The seller withdrew the authorisation: neither token works any more."""
        for grants in (self.access, self.refresh):
            for grant in grants.values():
                if grant.shop == shop:
                    grant.revoked = True


@dataclass
class Failing:
    meaning: str
    every: int
    wait: int
    platforms: frozenset[str] | None
    calls: int = 0


@dataclass
class Move:
    """After `after_calls` list calls of a shop's resource, modify the record at `position` of the last window."""

    shop: str
    resource: str
    after_calls: int
    position: int
    calls: int = 0
    moved: str | None = None  # the id of the record moved, once it was


@dataclass
class Faults:
    """Faults configured per test; `moves` report which record they moved."""

    failing: list[Failing] = field(default_factory=list)
    denied: set[tuple[str, str]] = field(default_factory=set)  # (shop, api)
    failed_results: set[tuple[str, str]] = field(default_factory=set)  # (shop, api)
    moves: list[Move] = field(default_factory=list)

    def fail_every(self, every: int, meaning: str = "throttled", *, platforms: tuple[str, ...] | None = None,
                   wait: int = 2) -> Failing:
        """Answer every `every`-th call (of these platforms) with the error of that meaning, e.g. throttled
        with a named wait of `wait` seconds where the platform names it."""
        failing = Failing(meaning, every, wait, frozenset(platforms) if platforms else None)
        self.failing.append(failing)
        return failing

    def deny(self, shop: str, api: str) -> None:
        """The shop's authorisation lacks the permission (scope) of this API."""
        self.denied.add((shop, api))

    def fail_in_result(self, shop: str, api: str) -> None:
        """Answer the shop's calls of this API with a success envelope whose result object says it failed (JD's
        apiResult.success=false)."""
        self.failed_results.add((shop, api))

    def move_during_paging(self, shop: str, resource: str = "orders", *, after_calls: int = 1,
                           position: int = 0) -> Move:
        move = Move(shop, resource, after_calls, position)
        self.moves.append(move)
        return move

    def failure_of(self, platform: str) -> Failing | None:
        """The fault this call meets, counting the call."""
        for failing in self.failing:
            if failing.platforms is None or platform in failing.platforms:
                failing.calls += 1
                if failing.calls % failing.every == 0:
                    return failing
        return None

    def moves_after(self, shop: str, resource: str) -> list[Move]:
        """The moves due now that one more list call of the shop's resource was answered."""
        due = []
        for move in self.moves:
            if move.shop == shop and move.resource == resource and move.moved is None:
                move.calls += 1
                if move.calls == move.after_calls:
                    due.append(move)
        return due
