"""What each chat robot expects: request URL, JSON body and how it says "delivered". No HTTP here.

Formats (robot webhook APIs):
- DingTalk custom robot: `{"msgtype": "markdown", "markdown": {"title", "text"}}`; signed robots take
  `timestamp` (ms) and `sign` = urlencode(base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}")))
  as query parameters; the reply is `{"errcode": 0, ...}` on success.
- WeCom (企业微信) group robot: `{"msgtype": "markdown", "markdown": {"content"}}` (4096 bytes);
  reply `{"errcode": 0, ...}`.
- Feishu custom bot: `{"msg_type": "text", "content": {"text"}}` or `"post"` (rich text); signed bots take
  `timestamp` (s) and `sign` = base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", msg=b"")) in the body;
  reply `{"code": 0, ...}` on success.
- Slack incoming webhook: `{"text"}` or `{"text", "blocks"}` (mrkdwn); reply body `ok`.
- Generic webhook: `{"source": "ecomops", "alerts": [...]}`; any 2xx is success.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import urllib.parse
from dataclasses import dataclass

from alerts.config import Channel

TITLE = "ecomops KPI 预警"
SEVERITY_LABEL = {"critical": "严重 CRITICAL", "warning": "警告 WARNING", "info": "提示 INFO"}


@dataclass(frozen=True)
class Request:
    url: str
    body: dict


def dingtalk_signature(secret: str, timestamp_ms: int) -> str:
    """base64 HMAC-SHA256 of "timestamp\\nsecret" keyed by the secret (not yet URL-encoded)."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def feishu_signature(secret: str, timestamp_s: int) -> str:
    """base64 HMAC-SHA256 of an empty message keyed by "timestamp\\nsecret"."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _line(alert: dict) -> str:
    return f"[{SEVERITY_LABEL[alert['severity']]}] {alert['message']}"


def _markdown(alerts: list[dict]) -> str:
    return "\n".join([f"### {TITLE} ({len(alerts)})", ""] + [f"- {_line(a)}" for a in alerts])


def _plain(alerts: list[dict]) -> str:
    return "\n".join([f"{TITLE} ({len(alerts)})"] + [_line(a) for a in alerts])


def _json_alert(alert: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, dt.date | dt.datetime) else v) for k, v in alert.items()}


def build_request(channel: Channel, alerts: list[dict], url: str, secret: str | None, now: dt.datetime) -> Request:
    """The request that posts `alerts` (result rows) to `channel`, signed when a secret is given."""
    kind, form = channel.type, channel.message_format
    if kind == "dingtalk":
        body = {"msgtype": "markdown", "markdown": {"title": TITLE, "text": _markdown(alerts)}}
        if secret:
            timestamp = int(now.timestamp() * 1000)
            sign = urllib.parse.quote_plus(dingtalk_signature(secret, timestamp))
            url = f"{url}{'&' if '?' in url else '?'}timestamp={timestamp}&sign={sign}"
        return Request(url, body)
    if kind == "wecom":
        return Request(url, {"msgtype": "markdown", "markdown": {"content": _markdown(alerts)}})
    if kind == "feishu":
        if form == "post":
            lines = [[{"tag": "text", "text": _line(a)}] for a in alerts]
            body = {"msg_type": "post", "content": {"post": {"zh_cn": {"title": f"{TITLE} ({len(alerts)})", "content": lines}}}}
        else:
            body = {"msg_type": "text", "content": {"text": _plain(alerts)}}
        if secret:
            timestamp = int(now.timestamp())
            body = {"timestamp": str(timestamp), "sign": feishu_signature(secret, timestamp), **body}
        return Request(url, body)
    if kind == "slack":
        text = "\n".join([f"*{TITLE} ({len(alerts)})*"] + [f"• {_line(a)}" for a in alerts])
        if form == "text":
            return Request(url, {"text": text})
        blocks = [{"type": "header", "text": {"type": "plain_text", "text": f"{TITLE} ({len(alerts)})"}}]
        blocks += [{"type": "section", "text": {"type": "mrkdwn", "text": _line(a)}} for a in alerts]
        return Request(url, {"text": text, "blocks": blocks})
    return Request(url, {"source": "ecomops", "alerts": [_json_alert(a) for a in alerts]})


def delivery_error(channel: Channel, http_status: int, body: str) -> str | None:
    """None when the robot accepted the message, else what it said (robots answer errors with HTTP 200)."""
    if not 200 <= http_status < 300:
        return f"HTTP {http_status}: {body[:200]}"
    if channel.type == "webhook":
        return None
    if channel.type == "slack":
        return None if body.strip() == "ok" else f"slack replied {body[:200]!r}"
    try:
        reply = json.loads(body)
    except ValueError:
        return f"{channel.type} replied non-JSON {body[:200]!r}"
    code = reply.get("errcode") if channel.type in ("dingtalk", "wecom") else reply.get("code", reply.get("StatusCode"))
    if code == 0:
        return None
    return f"{channel.type} error {code}: {reply.get('errmsg') or reply.get('msg') or reply.get('StatusMessage')}"
