"""The dashboard web app: the API, the pages (one HTML shell, a JS module per page) and the static files."""

from __future__ import annotations

import secrets
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from dashboard.access import LoginLimiter, User
from dashboard.api import router
from dashboard.explorer import router as explorer_router
from dashboard.filters import FilterError, ForbiddenShop
from dashboard.postgres_marts import PostgresMarts, WarehouseUnavailable
from dashboard.serving_copy import ServingCopy, ServingCopyMissing
from ecomops.settings import Settings
from serving.postgres_readers import READER_PASSWORD_ENV, reader_url

STATIC = Path(__file__).parent / "static"
PAGES = ("overview", "traffic", "products", "inventory", "members", "finance", "alerts", "explorer", "screen")
SESSION_HOURS = 12
# Everything from this server: no CDN, no font or map service (the app runs on an offline intranet).
CONTENT_SECURITY_POLICY = ("default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                           "connect-src 'self'; frame-ancestors 'none'")


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"detail": message}, status_code=status)


def _validation_message(error: RequestValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'][1:])) or e['loc'][0]}: {e['msg']}" for e in error.errors())


class MartsSourceError(ValueError):
    """The settings name no marts the dashboard can read (a start-up error, not a bug: no traceback)."""


def marts_source(settings: Settings) -> ServingCopy | PostgresMarts:
    """What the dashboard reads: the serving copy of a DuckDB warehouse, or a Postgres warehouse as its reader role."""
    if settings.target != "postgres":
        return ServingCopy(settings.serving)
    url = settings.reader_url or (settings.postgres_url() and reader_url(
        settings.postgres_url(), settings.reader_role, settings.secret(READER_PASSWORD_ENV)))
    if not url:
        raise MartsSourceError("ECOMOPS_TARGET=postgres needs ECOMOPS_READER_URL, or ECOMOPS_POSTGRES_URL and "
                         f"${READER_PASSWORD_ENV}: the dashboard reads as the reader role (docs/postgres.md)")
    return PostgresMarts(url)


def create_app(settings: Settings, users: dict[str, User]) -> FastAPI:
    app = FastAPI(title="ecomops dashboard API", version="1", openapi_url="/api/v1/openapi.json",
                  docs_url=None, redoc_url=None)  # FastAPI's docs pages load from a CDN; the schema is enough
    app.state.serving_copy = marts_source(settings)
    app.state.users = users
    app.state.identity_header = settings.dashboard_identity_header
    app.state.login_limiter = LoginLimiter()
    app.state.login_required = bool(users) and not settings.dashboard_identity_header
    app.state.semantic_manifest = settings.semantic_manifest
    app.include_router(router)
    app.include_router(explorer_router)
    app.add_middleware(SessionMiddleware, secret_key=settings.dashboard_session_key or secrets.token_urlsafe(32),
                       session_cookie="ecomops_session", max_age=SESSION_HOURS * 3600, same_site="strict")

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    app.add_exception_handler(FilterError, lambda request, error: _error(400, str(error)))
    app.add_exception_handler(ForbiddenShop, lambda request, error: _error(403, str(error)))
    app.add_exception_handler(ServingCopyMissing, lambda request, error: _error(503, str(error)))
    app.add_exception_handler(WarehouseUnavailable, lambda request, error: _error(503, str(error)))
    app.add_exception_handler(RequestValidationError, lambda request, error: _error(400, _validation_message(error)))
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    shell = (STATIC / "index.html").read_text(encoding="utf-8")

    @app.get("/", include_in_schema=False)
    def home(request: Request):
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(f"/overview{query}")

    @app.get("/login", include_in_schema=False)
    def login_page():
        return HTMLResponse(shell.replace("{{page}}", "login"))

    @app.get("/{page}", include_in_schema=False)
    def page(page: str, request: Request):
        if page not in PAGES:
            raise HTTPException(404, f"no page {page!r}")
        if app.state.login_required and request.session.get("user") not in app.state.users:
            return RedirectResponse(f"/login?next={quote(str(request.url.path) + '?' + request.url.query)}")
        return HTMLResponse(shell.replace("{{page}}", page))

    return app
