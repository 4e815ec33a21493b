"""Each open platform's request protocol, from protocols/<name>.yaml: how a call is addressed, stringified
and signed. The quirks are data; `signed_request` is the one code path every platform's calls take."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from platform_sync.signing import SignatureScheme, sign

PROTOCOLS = Path(__file__).with_name("protocols")
PLATFORM_TIME = ZoneInfo("Asia/Shanghai")  # TOP and JD read their text timestamps in GMT+8, whatever the host's zone
TIMESTAMP_FORMATS = {
    "shanghai_text": lambda now: now.astimezone(PLATFORM_TIME).strftime("%Y-%m-%d %H:%M:%S"),
    "epoch_seconds": lambda now: str(int(now.timestamp())),
}


@dataclass(frozen=True)
class RequestShape:
    api_param: str
    app_key_param: str
    token_param: str
    timestamp_param: str
    timestamp_format: str
    fixed: Mapping[str, str]
    app_params_json: str | None  # the parameter carrying the app parameters as JSON; None: inline
    json_sort_keys: bool
    api_path: bool  # the API name is also the URL path
    body: str  # form | json_param


@dataclass(frozen=True)
class Signing:
    signed: tuple[str, ...] | None  # None: every parameter sent
    method_param: str | None
    default_method: str
    methods: Mapping[str, SignatureScheme]


@dataclass(frozen=True)
class Protocol:
    name: str
    platforms: tuple[str, ...]
    gateway: str
    request: RequestShape
    signing: Signing


@dataclass(frozen=True)
class SignedRequest:
    """What goes on the wire: the URL, its query parameters and the body (form fields or a JSON text)."""

    url: str
    query: Mapping[str, str]
    form: Mapping[str, str]
    json_body: str | None


def stringify(value: Any) -> str:
    """A parameter as the platforms sign it: text as is, numbers in decimal, lists and objects as compact JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _protocol(name: str, spec: Mapping[str, Any]) -> Protocol:
    request, signing = spec["request"], spec["signing"]
    app_params = request["app_params"]
    json_param = None if app_params == "inline" else app_params["json_param"]
    if request["timestamp_format"] not in TIMESTAMP_FORMATS:
        raise ValueError(f"protocols/{name}.yaml: timestamp_format {request['timestamp_format']!r} is none of "
                         f"{', '.join(TIMESTAMP_FORMATS)}")
    return Protocol(
        name=name,
        platforms=tuple(spec["platforms"]),
        gateway=spec["gateway"],
        request=RequestShape(
            api_param=request["api_param"], app_key_param=request["app_key_param"],
            token_param=request["token_param"], timestamp_param=request["timestamp_param"],
            timestamp_format=request["timestamp_format"],
            fixed={key: str(value) for key, value in request.get("fixed", {}).items()},
            app_params_json=json_param,
            json_sort_keys=bool(json_param and app_params.get("json_sort_keys", False)),
            api_path=bool(request.get("api_path", False)), body=request["body"]),
        signing=Signing(
            signed=None if signing["signed"] == "sent" else tuple(signing["signed"]),
            method_param=signing["method_param"], default_method=signing["default_method"],
            methods={method: SignatureScheme(**scheme) for method, scheme in signing["methods"].items()}),
    )


@cache
def protocols() -> dict[str, Protocol]:
    """Every protocol by platform (taobao and tmall share TOP's)."""
    by_platform = {}
    for path in sorted(PROTOCOLS.glob("*.yaml")):
        protocol = _protocol(path.stem, yaml.safe_load(path.read_text(encoding="utf-8")))
        by_platform.update({platform: protocol for platform in protocol.platforms})
    return by_platform


def signed_request(protocol: Protocol, api: str, app_params: Mapping[str, Any], *, app_key: str, secret: str,
                   access_token: str | None, now: dt.datetime, sign_method: str | None = None) -> SignedRequest:
    """One call of `api`, addressed, stringified and signed as the platform does. Empty values are neither
    signed nor sent."""
    shape, signing = protocol.request, protocol.signing
    method = sign_method or signing.default_method
    if method not in signing.methods:
        raise ValueError(f"{protocol.name}: sign method {method!r} is none of {', '.join(signing.methods)}")
    system = {shape.api_param: api, shape.app_key_param: app_key, shape.token_param: access_token or "",
              shape.timestamp_param: TIMESTAMP_FORMATS[shape.timestamp_format](now), **shape.fixed}
    if signing.method_param:
        system[signing.method_param] = method
    if shape.app_params_json:
        app = {shape.app_params_json: json.dumps(app_params, ensure_ascii=False, separators=(",", ":"),
                                                 sort_keys=shape.json_sort_keys)}
    else:
        app = {key: stringify(value) for key, value in app_params.items()}
    params = {key: value for key, value in {**system, **app}.items() if value != ""}
    signed = params if signing.signed is None else {key: params.get(key, "") for key in signing.signed}
    signature = sign(signed, secret, signing.methods[method])
    url = protocol.gateway + ("/" + api.replace(".", "/") if shape.api_path else "")
    if shape.body == "json_param":
        query = {key: value for key, value in params.items() if key != shape.app_params_json}
        return SignedRequest(url, {**query, "sign": signature}, {}, params[shape.app_params_json])
    return SignedRequest(url, {}, {**params, "sign": signature}, None)
