"""A local PagerDuty Events API v2 for tests (127.0.0.1): ``POST /v2/enqueue``, answering like PagerDuty.

    from tests.pagerduty_server import pagerduty_server   # pytest fixture

It validates each event as the real API does for the fields we use (routing_key, event_action in
trigger/acknowledge/resolve, dedup_key, and for a trigger payload.summary/source/severity) and answers
202 ``{"status": "success", "message": "Event processed", "dedup_key": ...}`` or 400
``{"status": "invalid event", "message": "Event object is invalid", "errors": [...]}``; a wrong routing key
is 400 too. It keeps ``incidents``: dedup_key -> status (triggered / acknowledged / resolved), so a test
sees what an on-call engineer would. Scripting (429, 500, drop, down) as in tests.webhook_server.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.webhook_server import HttpRecorder, Received

ROUTING_KEY = "R0UT1NGKEY0000000000000000000LOC"
_STATUS = {"trigger": "triggered", "acknowledge": "acknowledged", "resolve": "resolved"}


class PagerDutyServer(HttpRecorder):
    def __init__(self, routing_key: str = ROUTING_KEY) -> None:
        super().__init__()
        self.routing_key = routing_key
        self.incidents: dict[str, str] = {}
        self.triggers: dict[str, int] = {}  # dedup_key -> trigger events accepted

    @property
    def events_url(self) -> str:
        return f"{self.url}/v2/enqueue"

    @property
    def events(self) -> list[dict[str, Any]]:
        """Accepted events, routing key removed (so tests can print them)."""
        return [{k: v for k, v in r.body.items() if k != "routing_key"} for r in self.deliveries]

    def handle(self, req: Received) -> tuple[int, Any]:
        if req.path != "/v2/enqueue":
            return 404, {"message": "not found"}
        ev = req.body if isinstance(req.body, dict) else {}
        errors = []
        if ev.get("routing_key") != self.routing_key:
            errors.append("'routing_key' is invalid")
        action = ev.get("event_action")
        if action not in _STATUS:
            errors.append("'event_action' is missing or blank")
        if action in ("acknowledge", "resolve") and not ev.get("dedup_key"):
            errors.append("'dedup_key' is required for acknowledge and resolve")
        if action == "trigger":
            payload = ev.get("payload") or {}
            for name in ("summary", "source", "severity"):
                if not payload.get(name):
                    errors.append(f"'payload.{name}' is missing or blank")
            if payload.get("severity") not in (None, "critical", "error", "warning", "info"):
                errors.append("'payload.severity' is invalid")
            if len(str(payload.get("summary", ""))) > 1024:
                errors.append("'payload.summary' is too long")
        if errors:
            return 400, {"status": "invalid event", "message": "Event object is invalid", "errors": errors}
        key = str(ev.get("dedup_key") or f"generated-{len(self.requests)}")
        with self._lock:
            if action == "trigger":
                self.triggers[key] = self.triggers.get(key, 0) + 1
            if action != "acknowledge" or self.incidents.get(key) == "triggered":
                self.incidents[key] = _STATUS[action]
        return 202, {"status": "success", "message": "Event processed", "dedup_key": key}


@pytest.fixture
def pagerduty_server() -> Iterator[PagerDutyServer]:
    server = PagerDutyServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
