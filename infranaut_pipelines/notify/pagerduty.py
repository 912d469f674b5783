"""PagerDuty Events API v2: one event per alert, trigger / acknowledge / resolve by ``dedup_key``.

The dedup key is the alert's fingerprint (``infranaut:<sha256>``), the same for every event of one alert,
so PagerDuty folds a re-sent trigger into the open incident and a resolve closes exactly that incident.
That also makes an in-doubt re-send harmless: no lookup is needed for exactly-once *incidents*.

The routing key is added at send time, never stored in the outbox, and never appears in a message.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any

from infranaut_pipelines.notify.http import post_json, validate_http_url
from infranaut_pipelines.notify.slack import SendResult

EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"
CLIENT = "Infranaut Pipelines"
ACTIONS = {"fire": "trigger", "escalate": "trigger", "resolve": "resolve", "acknowledge": "acknowledge"}
_SUMMARY_MAX = 1024  # the Events API rejects a longer payload.summary


def dedup_key(fingerprint: str) -> str:
    return f"infranaut:{fingerprint}"


def build_event(kind: str, state: Mapping[str, Any], partition_date: dt.date | str | None,
                links: Sequence[tuple[str, str]] = ()) -> dict[str, Any]:
    """The event for one alert (an ``alert_state`` row), without the routing key.

    Values are data, not markup: JSON carries them as they are (PagerDuty shows them as text)."""
    action = ACTIONS[kind]
    event: dict[str, Any] = {"event_action": action, "dedup_key": dedup_key(str(state["fingerprint"]))}
    if action != "trigger":
        return event  # acknowledge/resolve need only the key
    subject = f" on {state['subject']}" if state.get("subject") else ""
    severity = str(state["severity"])
    summary = f"[{severity}] {state['model_id']}: {state['rule']}{subject}: {state.get('summary') or ''}"
    if kind == "escalate":
        summary += f" (escalated from {state.get('base_severity')} after {state.get('evaluations')} evaluations)"
    details = {
        "model_id": state["model_id"], "partition_date": str(partition_date) if partition_date else None,
        "rule": state["rule"], "subject": state.get("subject") or None, "metric": state.get("metric"),
        "value": state.get("last_value"), "first_seen": _iso(state.get("first_seen")),
        "evaluations": state.get("evaluations"), "fingerprint": state["fingerprint"],
    }
    event.update(
        client=CLIENT,
        payload={"summary": summary[:_SUMMARY_MAX], "source": f"infranaut/{state['model_id']}",
                 "severity": severity if severity in ("critical", "warning", "info") else "error",
                 "component": str(state["model_id"]), "group": "ml-monitoring",
                 "class": str(state.get("metric") or state["rule"]), "custom_details": details},
    )
    safe_links = [{"href": url, "text": text} for url, text in links if url.startswith(("https://", "http://"))]
    if safe_links:
        event["links"] = safe_links
        event["client_url"] = safe_links[0]["href"]
    return event


def _iso(t: Any) -> str | None:
    return t.isoformat() if isinstance(t, (dt.datetime, dt.date)) else (str(t) if t else None)


def validate_routing_key(key: str | None) -> str:
    if not key or not isinstance(key, str) or not key.strip() or any(c.isspace() for c in key.strip()):
        raise ValueError("PagerDuty routing key is missing or malformed (set INFRANAUT_PAGERDUTY_ROUTING_KEY "
                         "to the Events API v2 integration key)")
    return key.strip()


class PagerDutySender:
    """Sends the outbox's PagerDuty rows (one event each). Same contract as SlackSender for deliver_pending."""

    supports_lookup = False  # the dedup key makes a re-sent event idempotent instead

    def __init__(self, routing_key: str, events_url: str = EVENTS_URL, timeout: float = 10.0) -> None:
        self._key = validate_routing_key(routing_key)
        self.events_url = validate_http_url(events_url, "PagerDuty events URL")
        self.timeout = timeout

    def __repr__(self) -> str:  # never the routing key
        return "PagerDutySender()"

    def send(self, channel: str, payload: Mapping[str, Any], key: str) -> SendResult:
        body = json.dumps({**payload, "routing_key": self._key}).encode()
        post_json(self.events_url, body, {}, self.timeout, "PagerDuty", scrub=(self._key,))
        return SendResult(None, None)

    def find_delivered(self, channel: str, key: str, since: dt.datetime) -> SendResult | None:
        return None
