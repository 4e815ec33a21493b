"""`ecomops serve`: the sellers' dashboard (经营看板, 大屏) and its JSON API, on the published serving copy only.

``serve(settings, host, port)`` checks access (a non-loopback address needs users or a proxy's identity
header, see dashboard.access), then runs the app (dashboard.app) on uvicorn.
"""

from __future__ import annotations

import uvicorn

from dashboard.access import check_bind, load_users
from dashboard.app import create_app
from ecomops.settings import Settings

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def serve(settings: Settings, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
    users = load_users(settings.dashboard_users)
    check_bind(host, users, settings.dashboard_identity_header)
    uvicorn.run(create_app(settings, users), host=host, port=port, log_level="info")
