"""What each open platform answers and which sync APIs it offers, from the same protocols/<name>.yaml as the
request protocol: envelopes, errors by meaning, the token flow, and per resource (orders, refunds) the list API
with its window, paging and sort rules, the detail API, and the record's fields. The sync client and the
platform simulator both read these, so neither hard-codes a platform."""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import yaml

from platform_sync.protocol import PROTOCOLS

ACTIONS = ("wait", "retry", "refresh", "stop", "fix")
MEANINGS = ("throttled", "transient", "token_expired", "refresh_rejected", "bad_signature", "bad_timestamp",
            "missing_permission", "invalid_argument")


@dataclass(frozen=True)
class ErrorCode:
    """One error by meaning: the code (and sub code) the platform answers, and what a client does about it."""

    meaning: str
    code: Any
    other_codes: tuple
    sub_code: str | None
    sub_code_match: str | None  # a glob; None: any sub code
    message: str
    sub_message: str | None
    wait_pattern: str | None  # where the wait is named, e.g. TOP's "This ban will last for N more seconds"
    default_wait: float
    action: str

    def matches(self, code: Any, sub_code: str | None) -> bool:
        if str(code) not in {str(c) for c in (self.code, *self.other_codes)}:
            return False
        return self.sub_code_match is None or fnmatch.fnmatchcase(sub_code or "", self.sub_code_match)

    def wait_seconds(self, sub_message: str | None) -> float:
        """The wait the platform names, else the default."""
        found = re.search(self.wait_pattern, sub_message or "") if self.wait_pattern else None
        return float(found.group(1)) if found else self.default_wait


@dataclass(frozen=True)
class Envelope:
    success_key: str | None  # "api": each API's `response` key wraps the payload; None: top-level fields
    success_fields: Mapping[str, Any]  # fixed fields of a success (Douyin code 10000, JD code "0")
    payload: str | None  # where the payload sits under a top-level envelope (Douyin: data)
    error_key: str | None  # error_response; None: the error fields are top-level
    error_fields: Mapping[str, str]  # meaning (code, message, sub_code, sub_message, request_id) -> field name


@dataclass(frozen=True)
class TokenCall:
    api: str
    response: str | None
    params: Mapping[str, str]  # values with {code} / {refresh_token} / {app_key} / {app_secret} placeholders


@dataclass(frozen=True)
class TokenFlow:
    transport: str  # gateway: signed gateway calls; oauth: unsigned calls of `endpoint`/<api>
    endpoint: str | None
    create: TokenCall
    refresh: TokenCall
    result_path: str  # where the token fields sit in the payload ("" at its root)
    result_json_text: bool  # TOP: the token is a JSON text
    fields: Mapping[str, str | None]  # access_token, refresh_token, expires_in, refresh_expires_in -> field name
    access_lifetime: int
    refresh_lifetime: int


@dataclass(frozen=True)
class Window:
    start: str
    end: str
    format: str  # shanghai_text | epoch_seconds
    max_seconds: int
    advised_seconds: int
    end_lag_seconds: int  # the window must end at least this long before platform time
    history_days: int


@dataclass(frozen=True)
class Sort:
    field_param: str | None
    field_values: Mapping[str, str]  # modified | created -> the parameter's value
    field_default: str
    direction_param: str | None
    direction_values: Mapping[str, str]  # asc | desc -> the parameter's value
    direction_default: str


@dataclass(frozen=True)
class ListApi:
    api: str
    response: str | None
    window: Window
    page_param: str
    page_base: int
    page_size_param: str
    page_size_max: int
    page_size_default: int
    has_next_switch: str | None  # the parameter that trades the total for has_next
    fields_param: str | None  # the parameter naming the wanted fields (required where given)
    set_params: Mapping[str, str]  # parameters a sync must send with these values
    sort: Sort
    paging: str  # backwards (from the last page) | forwards
    records: str  # dotted paths in the payload
    total: str | None
    has_next: str | None
    echo: Mapping[str, str]  # payload fields repeating the request (Douyin page, size)
    result_fields: Mapping[str, Mapping[str, Any]]  # fixed objects in a success payload (JD apiResult)


@dataclass(frozen=True)
class DetailApi:
    api: str
    response: str | None
    id_param: str
    record: str
    fields_param: str | None


@dataclass(frozen=True)
class Lines:
    path: str
    fields: Mapping[str, str]


@dataclass(frozen=True)
class Resource:
    """Orders or refunds of one platform: how to list them, and their records."""

    name: str
    list: ListApi
    partial: bool  # the list answers `list_fields` only; the detail API has the rest
    list_fields: tuple[str, ...] | None
    detail: DetailApi | None
    listed_states: tuple[str, ...] | None  # canonical states the list shows (None: all)
    only_while: Mapping[str, tuple[str, ...]]  # field -> the only states in which the platform serves it
    id: str
    modified: str
    statuses: Mapping[str, Any]  # canonical state -> the platform's status value
    refund_statuses: Mapping[str, Any]
    refund_types: Mapping[bool, Any]  # goods returned -> the platform's type value
    fields: Mapping[str, str]  # API field (dotted: nested) -> canonical concept[|format]
    lines: Lines | None


@dataclass(frozen=True)
class PlatformApis:
    name: str
    timestamp_tolerance: int
    timestamp_also_accepted: tuple[str, ...]
    accepted_bodies: tuple[str, ...]
    values: Mapping[str, str]  # money, time, absent
    envelope: Envelope
    errors: Mapping[str, ErrorCode]
    token: TokenFlow
    resources: Mapping[str, Resource]

    def classify(self, body: Mapping[str, Any]) -> tuple[ErrorCode, str | None] | None:
        """The error meaning of a response body (with its sub message), or None for a success."""
        envelope = self.envelope
        fields = body.get(envelope.error_key) if envelope.error_key else body
        if not isinstance(fields, Mapping) or envelope.error_fields["code"] not in fields:
            return None
        code = fields[envelope.error_fields["code"]]
        if envelope.error_key is None and str(code) == str(envelope.success_fields.get("code")):
            return None
        sub_code = fields.get(envelope.error_fields.get("sub_code", ""))
        sub_message = fields.get(envelope.error_fields.get("sub_message", ""))
        for error in self.errors.values():
            if error.matches(code, sub_code):
                return error, sub_message
        raise ValueError(f"{self.name}: error code {code!r} ({sub_code!r}) has no meaning in "
                         f"protocols/{self.name}.yaml")

    def payload(self, body: Mapping[str, Any], response: str | None) -> Any:
        """The payload of a success: under the API's response key, or the envelope's payload field."""
        return body[response] if self.envelope.success_key == "api" else body[self.envelope.payload]


def dig(payload: Any, path: str | None) -> Any:
    """The value at a dotted path ("" or None: the payload itself); None where a step is missing."""
    for step in (path or "").split(".") if path else ():
        payload = payload.get(step) if isinstance(payload, Mapping) else None
    return payload


def _error(meaning: str, spec: Mapping[str, Any]) -> ErrorCode:
    if meaning not in MEANINGS or spec["action"] not in ACTIONS:
        raise ValueError(f"error {meaning!r}: meanings are {MEANINGS}, actions {ACTIONS}")
    return ErrorCode(meaning, spec["code"], tuple(spec.get("other_codes", ())), spec.get("sub_code"),
                     spec.get("sub_code_match"), spec["message"], spec.get("sub_message"), spec.get("wait_pattern"),
                     float(spec.get("default_wait", 0)), spec["action"])


def _list_api(spec: Mapping[str, Any]) -> ListApi:
    sort = spec["sort"]
    return ListApi(
        api=spec["api"], response=spec["response"], window=Window(**spec["window"]),
        page_param=spec["page"]["param"], page_base=spec["page"]["base"],
        page_size_param=spec["page_size"]["param"], page_size_max=spec["page_size"]["max"],
        page_size_default=spec["page_size"]["default"], has_next_switch=spec["has_next_switch"],
        fields_param=spec["fields_param"], set_params=dict(spec["set_params"]),
        sort=Sort(sort.get("field_param"), sort.get("field_values", {}), sort["field_default"],
                  sort.get("direction_param"), sort.get("direction_values", {}), sort["direction_default"]),
        paging=spec["paging"], records=spec["records"], total=spec["total"], has_next=spec["has_next"],
        echo=spec.get("echo", {}), result_fields=spec.get("result_fields", {}))


def _resource(name: str, spec: Mapping[str, Any]) -> Resource:
    detail, lines = spec.get("detail"), spec.get("lines")
    return Resource(
        name=name, list=_list_api(spec["list"]), partial=spec["partial"],
        list_fields=tuple(spec["list_fields"]) if "list_fields" in spec else None,
        detail=DetailApi(**detail) if detail else None,
        listed_states=tuple(spec["listed_states"]) if "listed_states" in spec else None,
        only_while={name: tuple(spec["only_while"]["states"]) for name in spec.get("only_while", {}).get("fields", ())},
        id=spec["id"], modified=spec["modified"], statuses=spec["statuses"],
        refund_statuses=spec.get("refund_statuses", {}), refund_types=spec.get("refund_types", {}),
        fields=spec["fields"], lines=Lines(lines["path"], lines["fields"]) if lines else None)


def _token(spec: Mapping[str, Any]) -> TokenFlow:
    return TokenFlow(
        transport=spec["transport"], endpoint=spec.get("endpoint"), create=TokenCall(**spec["create"]),
        refresh=TokenCall(**spec["refresh"]), result_path=spec["result"]["path"],
        result_json_text=spec["result"]["json_text"], fields=spec["fields"],
        access_lifetime=spec["lifetime_seconds"]["access"], refresh_lifetime=spec["lifetime_seconds"]["refresh"])


def _apis(name: str, spec: Mapping[str, Any]) -> PlatformApis:
    envelope = spec["envelope"]
    return PlatformApis(
        name=name, timestamp_tolerance=spec["timestamp_tolerance_seconds"],
        timestamp_also_accepted=tuple(spec["timestamp_also_accepted"]),
        accepted_bodies=tuple(spec.get("accepted_bodies", ("form",))), values=spec["values"],
        envelope=Envelope(envelope["success"]["key"], envelope["success"]["fields"],
                          envelope["success"].get("payload"), envelope["error"]["key"], envelope["error"]["fields"]),
        errors={meaning: _error(meaning, error) for meaning, error in spec["errors"].items()},
        token=_token(spec["token"]),
        resources={resource: _resource(resource, body) for resource, body in spec["resources"].items()})


@cache
def platform_apis() -> dict[str, PlatformApis]:
    """Every platform's APIs by platform (taobao and tmall share TOP's), read from protocols/*.yaml."""
    by_platform = {}
    for path in sorted(PROTOCOLS.glob("*.yaml")):
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        apis = _apis(path.stem, spec)
        missing = set(MEANINGS) - set(apis.errors)
        if missing:
            raise ValueError(f"protocols/{path.name}: errors lack {sorted(missing)}")
        by_platform.update({platform: apis for platform in spec["platforms"]})
    return by_platform


def token_result(apis: PlatformApis, payload: Any) -> dict[str, Any]:
    """The token fields of a token create/refresh answer, by their meaning."""
    result = dig(payload, apis.token.result_path)
    if apis.token.result_json_text:
        result = json.loads(result)
    return {meaning: result.get(field) for meaning, field in apis.token.fields.items() if field}
