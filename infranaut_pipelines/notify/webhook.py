"""A generic JSON webhook: one POST per message, optionally signed with HMAC-SHA256.

Meant for gateways (a Teams workflow, an Opsgenie or Alertmanager-style receiver, an internal bus) that
turn a documented JSON body into their own format. The body (``schema: infranaut.alert/v1``) is described in
docs/alerting.md. With ``INFRANAUT_ALERT_WEBHOOK_SECRET`` set, each request carries

    X-Infranaut-Timestamp: <unix seconds>
    X-Infranaut-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + raw body)>

so the receiver can check who sent it and reject replays (compare the timestamp with its clock).
``X-Infranaut-Delivery`` (also ``delivery_id`` in the body) is the same on every retry of one message:
a receiver that keeps the ids it has seen gets each message exactly once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from infranaut_pipelines.notify.http import post_json, validate_http_url
from infranaut_pipelines.notify.plain import Document, to_text
from infranaut_pipelines.notify.slack import SendResult

SCHEMA = "infranaut.alert/v1"
_RANK = {"info": 0, "warning": 1, "critical": 2}


def _iso(t: Any) -> str | None:
    return t.isoformat() if isinstance(t, (dt.datetime, dt.date)) else (str(t) if t else None)


def build_body(kind: str, model_id: str, partition_date: dt.date | str | None, doc: Document,
               states: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The documented body, without the per-delivery ``delivery_id`` (added when sent)."""
    alerts = [{
        "fingerprint": s["fingerprint"], "rule": s["rule"], "subject": s.get("subject") or None,
        "metric": s.get("metric"), "severity": s["severity"], "status": s.get("status"),
        "summary": s.get("summary"), "value": s.get("last_value"), "first_seen": _iso(s.get("first_seen")),
        "evaluations": s.get("evaluations"),
    } for s in states]
    worst = max((a["severity"] for a in alerts), key=lambda v: _RANK.get(v, 0), default="info")
    return {"schema": SCHEMA, "kind": kind, "model_id": model_id,
            "partition_date": str(partition_date) if partition_date else None, "severity": worst,
            "title": doc.title, "text": to_text(doc),
            "links": [{"url": url, "label": label} for url, label in doc.links], "alerts": alerts}


def signature(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


class WebhookSender:
    supports_lookup = False

    def __init__(self, url: str, secret: str | None = None, timeout: float = 10.0,
                 clock: Callable[[], float] = time.time) -> None:
        self._url = validate_http_url(url, "alert webhook URL (INFRANAUT_ALERT_WEBHOOK_URL)")
        self._secret = secret or None
        self.timeout = timeout
        self._clock = clock

    def __repr__(self) -> str:  # never the URL (it often holds a token) or the secret
        return f"WebhookSender(signed={self._secret is not None})"

    def send(self, channel: str, payload: Mapping[str, Any], key: str) -> SendResult:
        body = json.dumps({**payload, "delivery_id": str(key)}, separators=(",", ":")).encode()
        headers = {"X-Infranaut-Delivery": str(key), "User-Agent": "infranaut-pipelines"}
        if self._secret:
            stamp = str(int(self._clock()))
            headers.update({"X-Infranaut-Timestamp": stamp, "X-Infranaut-Signature": signature(self._secret, stamp, body)})
        scrub = tuple(s for s in (self._secret, self._url) if s)
        post_json(self._url, body, headers, self.timeout, "webhook", scrub=scrub)
        return SendResult(None, None)

    def find_delivered(self, channel: str, key: str, since: dt.datetime) -> SendResult | None:
        return None
