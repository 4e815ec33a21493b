"""One shop's signed calls to its open platform, acting on each error's meaning as protocols/*.yaml names it:
wait out throttling for the seconds the platform names, retry transient errors with a bounded backoff, refresh
an expired access token with the refresh token (and store the new pair: a refresh token is single-use), and stop
with a message naming platform, shop, API and the platform's own code and message on anything else."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from platform_sync.apis import ErrorCode, PlatformApis, dig, platform_apis, token_result
from platform_sync.protocol import Protocol, protocols, signed_request
from platform_sync.tokens import ShopTokens, TokenStore

MAX_ATTEMPTS = 6  # per call, throttle waits and transient retries together
HTTP_TIMEOUT = 30
HINTS = {
    "bad_signature": "check the app_key and app_secret configured for this platform",
    "bad_timestamp": "check this machine's clock (the platform allows a few minutes of skew)",
    "refresh_rejected": "the authorisation is revoked or expired: the seller must authorise the app again",
    "missing_permission": "the app's authorisation lacks this API: add its permission package on the open platform",
    "token_expired": "the access token was refused again after a refresh",
    "invalid_argument": "the call is wrong (a bug in the sync or its configuration)",
}


class SyncError(RuntimeError):
    """A call the sync cannot complete by waiting, retrying or refreshing."""

    def __init__(self, message: str, *, platform: str, shop: str, api: str, meaning: str | None):
        super().__init__(message)
        self.platform, self.shop, self.api, self.meaning = platform, shop, api, meaning


@dataclass
class SyncStats:
    """What a sync did, for run metadata."""

    calls: int = 0
    windows: int = 0
    windows_left: int = 0  # beyond this load's `max_windows`: the next load reads them
    pages: int = 0
    records: int = 0
    rows: int = 0
    retries: int = 0
    throttle_waits: int = 0
    throttle_wait_seconds: float = 0.0
    token_refreshes: int = 0

    def as_metadata(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class AppCredentials:
    app_key: str
    app_secret: str = field(repr=False)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class PlatformClient:
    """Calls of one shop: `call(api, params, response)` returns the success payload or raises SyncError."""

    def __init__(self, platform: str, shop: str, app: AppCredentials, tokens: ShopTokens, store: TokenStore, *,
                 gateway: str | None = None, token_endpoint: str | None = None,
                 clock: Callable[[], dt.datetime] = utc_now, stats: SyncStats | None = None,
                 sleep: Callable[[float], None] = time.sleep, session: requests.Session | None = None):
        self.platform, self.shop, self.app = platform, shop, app
        self.apis: PlatformApis = platform_apis()[platform]
        protocol = protocols()[platform]
        self.protocol: Protocol = dataclasses.replace(protocol, gateway=gateway) if gateway else protocol
        self.token_endpoint = token_endpoint or self.apis.token.endpoint
        self.tokens, self.store = tokens, store
        self.clock, self.sleep = clock, sleep
        self.stats = stats if stats is not None else SyncStats()
        self.session = session or requests.Session()

    # -- calls ------------------------------------------------------------
    def call(self, api: str, params: Mapping[str, Any], response: str | None) -> Any:
        """One API call of the shop; an expired access token is refreshed once and the call repeated."""
        try:
            return self._exchange(api, lambda: self._gateway(api, params, self.tokens.access_token), response)
        except _Refresh:
            self.refresh()
        try:
            return self._exchange(api, lambda: self._gateway(api, params, self.tokens.access_token), response)
        except _Refresh as again:
            raise self._error(api, again.error, again.body) from None

    def ensure_succeeded(self, api: str, payload: Any, result_fields: Mapping[str, Mapping[str, Any]]) -> None:
        """A success envelope whose result object says otherwise (JD: apiResult.success=false, with the reason in
        its error-code fields) stops the sync naming the platform's words: nothing says it would pass on a retry."""
        for path, fixed in result_fields.items():
            result = dig(payload, path)
            flags = {name: value for name, value in fixed.items() if isinstance(value, bool)}
            if isinstance(result, Mapping) and any(result.get(name) != value for name, value in flags.items()):
                said = ", ".join(f"{name}={result.get(name)}" for name in fixed if name in result)
                raise SyncError(f"{self._where(api)} failed: the platform answered a success whose {path} says it "
                                f"failed ({said})", platform=self.platform, shop=self.shop, api=api,
                                meaning="result_failed")

    def refresh(self) -> ShopTokens:
        """Trade the refresh token for a new pair (the platform's token flow) and store it back before use."""
        flow = self.apis.token
        values = {"refresh_token": self.tokens.refresh_token or "", "app_key": self.app.app_key,
                  "app_secret": self.app.app_secret, "code": ""}
        params = {key: value.format(**values) for key, value in flow.refresh.params.items()}
        if flow.transport == "oauth":
            send = lambda: self._post(f"{self.token_endpoint}/{flow.refresh.api}", {}, params, None)  # noqa: E731
        else:
            send = lambda: self._gateway(flow.refresh.api, params, None)  # noqa: E731
        try:
            payload = self._exchange(flow.refresh.api, send, flow.refresh.response)
        except _Refresh as refused:  # a refresh answered "token expired": the refresh token is no good either
            raise self._error(flow.refresh.api, refused.error, refused.body) from None
        result = token_result(self.apis, payload)
        expires_in = result.get("expires_in")
        self.tokens = ShopTokens(result["access_token"], result.get("refresh_token") or self.tokens.refresh_token,
                                 self.clock() + dt.timedelta(seconds=int(expires_in)) if expires_in else None)
        self.store.save(self.platform, self.shop, self.tokens)
        self.stats.token_refreshes += 1
        return self.tokens

    # -- one exchange, with waits and retries -------------------------------
    def _exchange(self, api: str, send: Callable[[], dict[str, Any]], response: str | None) -> Any:
        for attempt in range(MAX_ATTEMPTS):
            try:
                body = send()
            except (requests.ConnectionError, requests.Timeout, requests.JSONDecodeError) as failed:
                if attempt == MAX_ATTEMPTS - 1:
                    raise SyncError(f"{self._where(api)}: no answer after {MAX_ATTEMPTS} attempts ({failed})",
                                    platform=self.platform, shop=self.shop, api=api, meaning="transient") from None
                self._back_off(attempt, 1.0)
                continue
            try:
                classified = self.apis.classify(body)
            except ValueError as unknown:
                raise SyncError(f"{self._where(api)}: {unknown}", platform=self.platform, shop=self.shop, api=api,
                                meaning=None) from None
            if classified is None:
                return self._payload(body, response)
            error, sub_message = classified
            last = attempt == MAX_ATTEMPTS - 1
            if error.action == "wait" and not last:
                seconds = error.wait_seconds(sub_message)
                self.stats.throttle_waits += 1
                self.stats.throttle_wait_seconds += seconds
                self.sleep(seconds)
            elif error.action == "retry" and not last:
                self._back_off(attempt, error.default_wait)
            elif error.action == "refresh":
                raise _Refresh(error, body)
            else:
                raise self._error(api, error, body)
        raise AssertionError("unreachable")  # the last attempt returns or raises

    def _back_off(self, attempt: int, base: float) -> None:
        self.stats.retries += 1
        self.sleep(base * 2 ** attempt)

    def _payload(self, body: Mapping[str, Any], response: str | None) -> Any:
        if self.apis.envelope.success_key == "api" and response is None:
            return body  # a flat answer (JD's OAuth token calls)
        return self.apis.payload(body, response)

    def _gateway(self, api: str, params: Mapping[str, Any], access_token: str | None) -> dict[str, Any]:
        request = signed_request(self.protocol, api, params, app_key=self.app.app_key, secret=self.app.app_secret,
                                 access_token=access_token, now=self.clock())
        return self._post(request.url, request.query, request.form, request.json_body)

    def _post(self, url: str, query: Mapping[str, str], form: Mapping[str, str], json_body: str | None) -> dict:
        self.stats.calls += 1
        if json_body is not None:
            answer = self.session.post(url, params=query, data=json_body.encode(),
                                       headers={"Content-Type": "application/json"}, timeout=HTTP_TIMEOUT)
        else:
            answer = self.session.post(url, params=query, data=form, timeout=HTTP_TIMEOUT)
        if answer.status_code >= 500:
            raise requests.ConnectionError(f"HTTP {answer.status_code}")
        return answer.json()

    # -- messages -----------------------------------------------------------
    def _where(self, api: str) -> str:
        return f"{self.platform} shop {self.shop}: {api}"

    def _error(self, api: str, error: ErrorCode, body: Mapping[str, Any]) -> SyncError:
        envelope = self.apis.envelope
        fields = body.get(envelope.error_key) if envelope.error_key else body
        said = {meaning: fields.get(name) for meaning, name in envelope.error_fields.items()}
        code = said.get("code") if not said.get("sub_code") else f"{said['code']}/{said['sub_code']}"
        text = " / ".join(str(said[key]) for key in ("message", "sub_message") if said.get(key))
        return SyncError(f"{self._where(api)} failed: {error.meaning} (platform code {code}: {text}); "
                         f"{HINTS.get(error.meaning, 'see the platform error')}",
                         platform=self.platform, shop=self.shop, api=api, meaning=error.meaning)


class _Refresh(Exception):
    """The access token expired: refresh and repeat (internal to PlatformClient)."""

    def __init__(self, error: ErrorCode, body: Mapping[str, Any]):
        super().__init__(error.meaning)
        self.error, self.body = error, body
