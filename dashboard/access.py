"""Who may read the dashboard: users with scrypt password hashes and optional shop limits, or a proxy's header.

Users file (YAML, path in $ECOMOPS_DASHBOARD_USERS)::

    users:
      - name: boss
        password: scrypt$16384$8$1$<salt hex>$<hash hex>    # python -m dashboard.access hash
      - name: agency-client
        password: scrypt$...
        shops: [tb01, jd01]                                 # sees only these shops, in the API too

Bound to 127.0.0.1 without users, everyone local reads everything. Bound elsewhere, the app refuses to start
unless a users file or an identity header (set by a reverse proxy that authenticates) is configured.
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import ipaddress
import secrets
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import yaml

SCRYPT = {"n": 2**14, "r": 8, "p": 1}
LOGIN_ATTEMPTS = 5  # failed logins per user name and client address ...
LOGIN_WINDOW_SECONDS = 300  # ... within this window, then 429 until the oldest failure leaves it


@dataclass(frozen=True)
class User:
    name: str
    password_hash: str | None
    shops: frozenset[str] | None  # None: every shop

    def may_see(self, shop_code: str) -> bool:
        return self.shops is None or shop_code in self.shops


LOCAL_USER = User("local", None, None)  # bound to loopback without users: the person at this machine


class AccessConfigError(ValueError):
    """The users file or the bind address and access settings do not fit together."""


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **SCRYPT)
    return f"scrypt${SCRYPT['n']}${SCRYPT['r']}${SCRYPT['p']}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        computed = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p))
    except ValueError:
        return False
    return hmac.compare_digest(computed.hex(), digest)


def load_users(path: Path | None) -> dict[str, User]:
    if path is None:
        return {}
    document = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    users = {}
    for entry in document.get("users") or []:
        if not isinstance(entry, dict) or not entry.get("name"):
            raise AccessConfigError(f"{path}: every user needs a name: {entry!r}")
        password = entry.get("password")
        if password is not None and not str(password).startswith("scrypt$"):
            raise AccessConfigError(f"{path}: user {entry['name']}'s password must be a hash "
                                    "(python -m dashboard.access hash), never plain")
        shops = entry.get("shops")
        users[str(entry["name"])] = User(str(entry["name"]), password,
                                         frozenset(map(str, shops)) if shops is not None else None)
    return users


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(host: str, users: dict[str, User], identity_header: str | None) -> None:
    if not is_loopback(host) and not users and not identity_header:
        raise AccessConfigError(
            f"refusing to serve on {host} without access control: set ECOMOPS_DASHBOARD_USERS to a users file "
            "or ECOMOPS_DASHBOARD_IDENTITY_HEADER to your reverse proxy's user header (docs/dashboard.md)")


class LoginLimiter:
    """Failed logins per (user name, client address) within a sliding window."""

    def __init__(self, attempts: int = LOGIN_ATTEMPTS, window: float = LOGIN_WINDOW_SECONDS):
        self.attempts, self.window = attempts, window
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        failures = self._failures.setdefault(key, deque())
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures

    def retry_after(self, key: tuple[str, str]) -> float:
        """Seconds until this key may try again (0: now)."""
        now = time.monotonic()
        with self._lock:
            failures = self._recent(key, now)
            return failures[0] + self.window - now if len(failures) >= self.attempts else 0.0

    def failed(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._recent(key, time.monotonic()).append(time.monotonic())

    def succeeded(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._failures.pop(key, None)


def main(argv: list[str] | None = None) -> int:
    """`python -m dashboard.access hash`: print a password hash for the users file (password from stdin/prompt)."""
    argv = sys.argv[1:] if argv is None else argv
    if argv != ["hash"]:
        print("usage: python -m dashboard.access hash   (reads the password, prints its hash)", file=sys.stderr)
        return 2
    password = getpass.getpass("password: ") if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n")
    if not password:
        print("empty password", file=sys.stderr)
        return 2
    print(hash_password(password))
    return 0


if __name__ == "__main__":
    sys.exit(main())
