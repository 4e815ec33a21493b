"""One call answered as the platform would: parameters read from the query and body the way the protocol sends
them, the app key, signature (with the call's own sign_method) and timestamp checked, faults applied, the
access token and permissions checked, then the token, list or detail API answered in the platform's envelope.
Everything platform-specific comes from protocols/*.yaml (platform_sync.protocol and platform_sync.apis)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import secrets
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from demo_data import ShopOrders
from platform_sync.apis import PlatformApis, platform_apis
from platform_sync.protocol import Protocol, stringify, protocols
from platform_sync.signing import sign

from .book import SHANGHAI_OFFSET, ShopBook, set_path, wall_of
from .listing import Refused, detail_record, list_records, parse_time
from .state import App, Clock, Credentials, Faults, Tokens


def _timestamp(text: str, time_format: str) -> int:
    if time_format == "epoch_millis":
        return int(text) // 1000 + SHANGHAI_OFFSET
    return parse_time(text, time_format)


class Simulator:
    """The four open platforms over the generator's order book, with a test-controlled clock and faults."""

    def __init__(self, history: list[ShopOrders], now: dt.datetime, follow_wall: bool = False):
        self.clock = Clock(now, follow_wall)
        self.tokens = Tokens(self.clock)
        self.faults = Faults()
        self.journal: list[tuple[str, str, str]] = []  # (platform, api, "ok" or the error meaning)
        self.protocols = {protocol.name: protocol for protocol in protocols().values()}
        self.apis = {protocol.name: platform_apis()[protocol.platforms[0]] for protocol in self.protocols.values()}
        self.apps = {name: App(f"sim-{name}-app", secrets.token_hex(16)) for name in self.protocols}
        key = secrets.token_bytes(16)
        self.books = {entry.shop.code: ShopBook(entry, key) for entry in history}
        self.credentials: dict[str, Credentials] = {}
        for code, book in self.books.items():
            protocol = protocols()[book.platform]
            token = self.apis[protocol.name].token
            access, refresh = self.tokens.issue(code, token.access_lifetime, token.refresh_lifetime)
            auth_code = secrets.token_hex(8)
            self.tokens.codes[auth_code] = code
            app = self.apps[protocol.name]
            self.credentials[code] = Credentials(code, book.platform, app.app_key, app.secret, access, refresh,
                                                 auth_code)
        self.base_url = ""
        self._lock = threading.Lock()

    # -- addresses ------------------------------------------------------
    def protocol(self, platform: str) -> Protocol:
        """The platform's protocol addressed to this simulator (for platform_sync.protocol.signed_request)."""
        protocol = protocols()[platform]
        return dataclasses.replace(protocol, gateway=self.gateway(platform))

    def gateway(self, platform: str) -> str:
        protocol = protocols()[platform]
        return f"{self.base_url}/{protocol.name}{_path_of(protocol.gateway)}"

    def token_endpoint(self, platform: str) -> str | None:
        """Where OAuth-transport token calls go (JD); None where they are gateway calls."""
        protocol = protocols()[platform]
        token = self.apis[protocol.name].token
        return f"{self.base_url}/{protocol.name}{_path_of(token.endpoint)}" if token.transport == "oauth" else None

    # -- one call -------------------------------------------------------
    def answer(self, path: str, query: Mapping[str, str], body: bytes, content_type: str) -> dict[str, Any]:
        name, _, rest = path.lstrip("/").partition("/")
        if name not in self.protocols:
            return {"error": f"no platform at /{name}: one of {', '.join(self.protocols)}"}
        protocol, apis = self.protocols[name], self.apis[name]
        with self._lock:
            try:
                api, answer = self._answer(protocol, apis, "/" + rest, query, body, content_type)
                self.journal.append((name, api, "ok"))
                return answer
            except Refused as refused:
                self.journal.append((name, "", refused.meaning))
                return self._error(apis, refused.meaning, refused.detail)

    def _answer(self, protocol: Protocol, apis: PlatformApis, rest: str, query: Mapping[str, str], body: bytes,
                content_type: str) -> tuple[str, dict[str, Any]]:
        params = dict(query)
        if protocol.request.body == "json_param":
            params[protocol.request.app_params_json] = body.decode() or "{}"
        elif content_type.startswith("application/json") and "json" in apis.accepted_bodies:
            params.update({key: stringify(value) for key, value in json.loads(body or b"{}").items()})
        else:
            params.update(parse_qsl(body.decode(), keep_blank_values=True))
        if apis.token.transport == "oauth" and rest.startswith(_path_of(apis.token.endpoint) + "/"):
            return self._oauth(protocol, apis, rest.rsplit("/", 1)[1], params)
        api_path = "/" + params.get(protocol.request.api_param, "").replace(".", "/")
        if rest != _path_of(protocol.gateway) + (api_path if protocol.request.api_path else ""):
            raise Refused("invalid_argument", f"no API at {rest}")
        self._verify(protocol, apis, params)
        failing = self.faults.failure_of(protocol.name)
        if failing is not None:
            raise Refused(failing.meaning, (apis.errors[failing.meaning].sub_message or "").format(wait=failing.wait)
                          or None)
        api = params[protocol.request.api_param]
        app_params = self._app_params(protocol, params)
        token = apis.token
        if api in (token.create.api, token.refresh.api):
            return api, self._token_answer(apis, api == token.refresh.api, app_params)
        shop = self.tokens.shop_of(params.get(protocol.request.token_param))
        if shop is None or self.books[shop].platform not in protocol.platforms:
            raise Refused("token_expired")
        if (shop, api) in self.faults.denied:
            raise Refused("missing_permission")
        book, now = self.books[shop], wall_of(self.clock.now)
        for resource in apis.resources.values():
            if api == resource.list.api:
                payload, window_ids = list_records(apis, resource, book, app_params, now,
                                                   failed=(shop, api) in self.faults.failed_results)
                for move in self.faults.moves_after(shop, resource.name):
                    if move.position < len(window_ids):
                        move.moved = window_ids[move.position]
                        book.touch(resource.name, move.moved, now)
                return api, self._success(apis, resource.list.response, payload)
            if resource.detail and api == resource.detail.api:
                payload = detail_record(apis, resource, resource.detail, book, app_params, now)
                return api, self._success(apis, resource.detail.response, payload)
        raise Refused("invalid_argument", f"unknown API {api}")

    def _verify(self, protocol: Protocol, apis: PlatformApis, params: Mapping[str, str]) -> None:
        """The app key, the signature under the call's own sign method, and the timestamp's distance from now."""
        shape, signing = protocol.request, protocol.signing
        app = self.apps[protocol.name]
        method = (params.get(signing.method_param) if signing.method_param else None) or signing.default_method
        if params.get(shape.app_key_param) != app.app_key or method not in signing.methods:
            raise Refused("bad_signature")
        signed = ({key: value for key, value in params.items() if key != "sign"} if signing.signed is None
                  else {key: params.get(key, "") for key in signing.signed})
        if params.get("sign") != sign(signed, app.secret, signing.methods[method]):
            raise Refused("bad_signature")
        sent = params.get(shape.timestamp_param, "")
        for time_format in (shape.timestamp_format, *apis.timestamp_also_accepted):
            try:
                stamp = _timestamp(sent, time_format)
                break
            except (Refused, ValueError):
                continue
        else:
            raise Refused("bad_timestamp")
        if abs(stamp - wall_of(self.clock.now)) > apis.timestamp_tolerance:
            raise Refused("bad_timestamp")

    @staticmethod
    def _app_params(protocol: Protocol, params: Mapping[str, str]) -> dict[str, Any]:
        shape = protocol.request
        if shape.app_params_json:
            try:
                return json.loads(params.get(shape.app_params_json) or "{}")
            except ValueError:
                raise Refused("invalid_argument", f"{shape.app_params_json} is not JSON") from None
        system = {shape.api_param, shape.app_key_param, shape.token_param, shape.timestamp_param, *shape.fixed,
                  protocol.signing.method_param, "sign"}
        return {key: value for key, value in params.items() if key not in system}

    def _oauth(self, protocol: Protocol, apis: PlatformApis, api: str,
               params: Mapping[str, str]) -> tuple[str, dict[str, Any]]:
        """Token calls of an OAuth endpoint: unsigned, the app proves itself with its secret."""
        app, token = self.apps[protocol.name], apis.token
        call = token.refresh if api == token.refresh.api else token.create if api == token.create.api else None
        if call is None:
            raise Refused("invalid_argument", f"no OAuth call {api}")
        expected = {key: value.format(app_key=app.app_key, app_secret=app.secret, code="{code}",
                                      refresh_token="{refresh_token}") for key, value in call.params.items()}
        for key, value in expected.items():
            if "{" not in value and params.get(key) != value:
                raise Refused("bad_signature" if key in ("app_key", "app_secret") else "invalid_argument")
        return api, self._token_answer(apis, call is token.refresh, params)

    def _token_answer(self, apis: PlatformApis, refresh: bool, params: Mapping[str, Any]) -> dict[str, Any]:
        token = apis.token
        call = token.refresh if refresh else token.create
        placeholder = "{refresh_token}" if refresh else "{code}"
        sent = params.get(next(key for key, value in call.params.items() if value == placeholder))
        shop = self.tokens.shop_of(sent, refresh=True) if refresh else self.tokens.codes.get(sent)
        if shop is None:
            raise Refused("refresh_rejected" if refresh else "invalid_argument")
        access, new_refresh = self.tokens.issue(shop, token.access_lifetime, token.refresh_lifetime)
        values = {"access_token": access, "refresh_token": new_refresh, "expires_in": token.access_lifetime,
                  "refresh_expires_in": token.refresh_lifetime}
        result: Any = {token.fields[key]: value for key, value in values.items() if token.fields.get(key)}
        if token.result_json_text:
            result = json.dumps(result)
        payload: dict[str, Any] = {}
        if token.result_path:
            set_path(payload, token.result_path, result)
        else:
            payload = result
        return self._success(apis, call.response, payload)

    # -- envelopes ------------------------------------------------------
    @staticmethod
    def _success(apis: PlatformApis, response: str | None, payload: dict[str, Any]) -> dict[str, Any]:
        envelope = apis.envelope
        request_id = envelope.error_fields.get("request_id")
        stamp = {request_id: secrets.token_hex(8)} if request_id else {}
        if envelope.success_key == "api":
            return {response: {**envelope.success_fields, **payload, **stamp}} if response else payload
        return {**envelope.success_fields, **stamp, envelope.payload: payload}

    @staticmethod
    def _error(apis: PlatformApis, meaning: str, detail: str | None) -> dict[str, Any]:
        envelope, error = apis.envelope, apis.errors[meaning]
        values = {"code": error.code, "message": error.message, "sub_code": error.sub_code,
                  "sub_message": detail or error.sub_message, "request_id": secrets.token_hex(8)}
        fields = {envelope.error_fields[key]: value for key, value in values.items()
                  if key in envelope.error_fields and value is not None}
        return {envelope.error_key: fields} if envelope.error_key else {**fields, envelope.payload: {}}


def _path_of(url: str | None) -> str:
    """The path of an absolute URL ("" for none or the bare host)."""
    return urlsplit(url or "").path.rstrip("/")
