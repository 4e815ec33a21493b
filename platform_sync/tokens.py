"""A shop's access and refresh tokens, stored back after a refresh: a refresh token is single-use on the
platforms, so losing the new pair means asking the seller to authorize the app again.

Configured tokens come from dlt secrets (or the environment); refreshed ones are kept in a file of
their own per shop, readable by the pipeline's user only, replaced atomically, and preferred over the
configured pair once they exist. Never in git, never in the warehouse.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class ShopTokens:
    access_token: str
    refresh_token: str | None
    expires_at: dt.datetime | None = None  # of the access token, when the platform says

    def __repr__(self) -> str:  # never in a log
        return f"ShopTokens(expires_at={self.expires_at!r})"


class TokenStore:
    """Refreshed tokens under `folder/<platform>/<shop>.json` (folder mode 0700, files 0600)."""

    def __init__(self, folder: Path):
        self.folder = folder

    def _path(self, platform: str, shop: str) -> Path:
        return self.folder / platform / f"{shop}.json"

    def load(self, platform: str, shop: str) -> ShopTokens | None:
        path = self._path(platform, shop)
        if not path.exists():
            return None
        stored = json.loads(path.read_text(encoding="utf-8"))
        expires_at = stored.get("expires_at")
        return ShopTokens(stored["access_token"], stored.get("refresh_token"),
                          dt.datetime.fromisoformat(expires_at) if expires_at else None)

    def save(self, platform: str, shop: str, tokens: ShopTokens) -> None:
        """Write the pair next to the old one, flush it to disk, then rename it over: a crash leaves one or the other."""
        path = self._path(platform, shop)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        os.chmod(path.parent, 0o700)
        record = {**asdict(tokens), "expires_at": tokens.expires_at.isoformat() if tokens.expires_at else None}
        partial = path.with_suffix(".json.partial")
        partial.unlink(missing_ok=True)
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            json.dump(record, file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(partial, path)
