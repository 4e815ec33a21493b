"""Which shops sync from the platform APIs: those the landing's shops.yaml marks `sync: api` or `both`, and
whether their app's credentials are configured (dlt secrets or the environment)."""

from __future__ import annotations

import dlt

from ecomops.settings import WarehousePaths
from ingestion.landing import RegistryError, load_shops
from ingestion.mapping import load_mappings
from platform_sync.source import SECTION

SYNCED = ("api", "both")
APP_SECRETS = ("app_key", "app_secret")


def api_shops(paths: WarehousePaths, platform: str | None = None, shop: str | None = None) -> dict[str, list[str]]:
    """Shop codes by platform of the shops that sync from the API, narrowed to `platform` / `shop` when given.
    A landing without shops.yaml has none."""
    try:
        shops = load_shops(paths.landing, load_mappings(paths.mappings).platforms)
    except RegistryError:
        return {}
    if shop is not None:
        if shop not in shops:
            raise ValueError(f"shop {shop} is not in {paths.landing / 'shops.yaml'}")
        if shops[shop].sync not in SYNCED:
            raise ValueError(f"shop {shop} has sync: {shops[shop].sync} in shops.yaml: set sync: api or both")
    chosen: dict[str, list[str]] = {}
    for code, entry in sorted(shops.items()):
        if entry.sync in SYNCED and (platform is None or entry.platform == platform) and shop in (None, code):
            chosen.setdefault(entry.platform, []).append(code)
    return chosen


def missing_credentials(platform: str) -> list[str]:
    """The app credentials of `platform` that no secrets provider holds (dlt's names)."""
    return [f"sources.{SECTION}.{platform}.{name}" for name in APP_SECRETS
            if not dlt.secrets.get(f"sources.{SECTION}.{platform}.{name}")]
