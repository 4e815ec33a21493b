"""What the platform sync tests share: a simulator on the real clock, and the credentials it issued written
as a seller writes them (.dlt/secrets.toml, docs/platform-sync.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from platform_simulator import running_simulator

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@contextmanager
def simulator_on_the_real_clock(shops: int = 5) -> Iterator:
    """Orders of yesterday and today, the clock following the wall: code that reads the real time talks to it."""
    today = dt.datetime.now(SHANGHAI).date()
    with running_simulator(shops=shops, days=2, start=today - dt.timedelta(days=1),
                           now=dt.datetime.now(dt.timezone.utc), follow_wall=True) as simulator:
        yield simulator


def shops_of(sim, platform: str) -> list[str]:
    return sorted(code for code, credentials in sim.credentials.items() if credentials.platform == platform)


def secrets_toml(sim, platform: str) -> str:
    """The documented secrets layout, as a seller writes .dlt/secrets.toml."""
    shops = shops_of(sim, platform)
    app = sim.credentials[shops[0]]
    lines = [f"[sources.platform_sync.{platform}]", f'app_key = "{app.app_key}"', f'app_secret = "{app.secret}"']
    for shop in shops:
        lines += [f"[sources.platform_sync.{platform}.shops.{shop}]",
                  f'access_token = "{sim.credentials[shop].access_token}"',
                  f'refresh_token = "{sim.credentials[shop].refresh_token}"']
    return "\n".join(lines) + "\n"
