"""Deliver the outbox (Slack, PagerDuty, email, webhook): in creation order, with retries, without
posting anything twice.

Per row: claim it (a lease, so two concurrent runs do not both post it), commit "attempt started, in doubt",
POST, then commit "sent" right after Slack's 200 in its own transaction. If the process dies between
Slack's 200 and that commit, the row is still pending *and in doubt*; the next run first looks the message
up by its metadata (outbox id) in the channel history (Web API transport) and marks it sent instead of
re-posting. Residual window: with an incoming webhook (no lookup possible), or when the lookup is not
permitted (missing channels:history scope), an in-doubt row is posted again -> at most one duplicate.

Order: a transient failure stops that transport for this run (its later rows stay pending and go out, in
order, next run) while the other transports carry on: PagerDuty being down must not hold back Slack. A
permanent failure (channel_not_found, invalid_auth, HTTP 400, SMTP 5xx) marks that row failed and moves on.
Rows of a transport with no sender configured stay pending (nothing is lost; they go out once it is set).
PagerDuty, email and webhook rows have no lookup: PagerDuty's dedup key makes a re-sent event harmless; a
mail or webhook call in doubt is sent again with the same Message-ID / delivery id.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from infranaut_pipelines.alerting.store import AlertStore
from infranaut_pipelines.notify.slack import DeliveryError, SendResult
from infranaut_pipelines.notify.targets import transport_of


class Sender(Protocol):
    supports_lookup: bool

    def send(self, channel: str, payload: dict, key: str) -> SendResult: ...

    def find_delivered(self, channel: str, key: str, since: dt.datetime) -> SendResult | None: ...


@dataclass
class DeliverySummary:
    sent: list[int] = field(default_factory=list)
    reconciled: list[int] = field(default_factory=list)  # found already posted, not re-sent
    failed: list[int] = field(default_factory=list)  # permanent errors
    pending: int = 0  # left for the next run
    attempts: int = 0
    waited_seconds: float = 0.0
    stopped_reason: str | None = None
    not_configured: dict[str, int] = field(default_factory=dict)  # transport -> rows left for lack of a sender

    @property
    def complete(self) -> bool:
        return self.pending == 0

    def as_metadata(self) -> dict[str, object]:
        return {"sent": len(self.sent), "reconciled": len(self.reconciled), "failed": len(self.failed),
                "pending": self.pending, "attempts": self.attempts, "waited_seconds": round(self.waited_seconds, 3),
                "stopped_reason": self.stopped_reason or "", "not_configured": dict(self.not_configured)}

    def _stop(self, reason: str) -> None:
        self.stopped_reason = reason if not self.stopped_reason else f"{self.stopped_reason}; {reason}"


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def deliver_pending(store: AlertStore, sender: Sender | Mapping[str, Sender], *, max_attempts_per_run: int = 4,
                    base_delay: float = 1.0, max_delay: float = 30.0, max_retry_after: float = 300.0,
                    lease: dt.timedelta = dt.timedelta(minutes=2), limit: int | None = None,
                    clock: Callable[[], dt.datetime] = _utcnow, sleep: Callable[[float], None] = time.sleep,
                    ) -> DeliverySummary:
    """Post pending outbox rows oldest first. ``sender``: one Slack sender, or senders by transport
    (``{"slack": ..., "pagerduty": ..., "email": ..., "webhook": ...}``). ``clock``/``sleep`` are injectable so
    tests do not wait for real; Retry-After is honoured exactly (through ``sleep``), backoff is
    ``base_delay * 2**n`` capped at ``max_delay``.
    """
    senders: Mapping[str, Sender] = sender if isinstance(sender, Mapping) else {"slack": sender}
    summary = DeliverySummary()
    token = uuid.uuid4().hex
    rows = store.outbox(status="pending")
    if limit is not None:
        rows = rows[:limit]
    stopped: set[str] = set()  # transports that hit a transient failure: their later rows wait, in order
    for row in rows:
        transport = transport_of(row["channel"])
        chosen = senders.get(transport)
        if chosen is None:
            summary.not_configured[transport] = summary.not_configured.get(transport, 0) + 1
            continue
        if transport in stopped:
            continue
        claimed = store.claim(row["id"], token, clock(), lease)
        if claimed is None:
            summary._stop(f"outbox row {row['id']} is being delivered by another run")
            stopped.add(transport)
            continue
        outcome = _deliver_one(store, chosen, claimed, token, summary, max_attempts_per_run, base_delay,
                               max_delay, max_retry_after, lease, clock, sleep)
        if outcome == "sent":
            continue
        if outcome == "failed":
            summary.failed.append(row["id"])
            continue
        store.release(row["id"], token)
        stopped.add(transport)
    summary.pending = len(store.outbox(status="pending"))
    return summary


def _deliver_one(store: AlertStore, sender: Sender, row: dict, token: str, summary: DeliverySummary,
                 max_attempts: int, base_delay: float, max_delay: float, max_retry_after: float,
                 lease: dt.timedelta, clock: Callable[[], dt.datetime], sleep: Callable[[float], None]) -> str:
    oid, channel = row["id"], row["channel"]
    payload = json.loads(row["payload"])
    in_doubt = bool(row["in_doubt"])
    for attempt in range(max_attempts):
        if in_doubt and sender.supports_lookup:
            try:
                found = sender.find_delivered(channel, str(oid), row["created_at"])
            except DeliveryError as exc:
                found = None  # cannot check: re-posting risks one duplicate, not posting risks a lost alert
                store.attempt_failed(oid, token, f"lookup failed before re-post: {exc}", in_doubt=True)
            if found is not None:
                store.mark_sent(oid, token, clock(), found.ts, found.channel_id, note="reconciled: already posted")
                summary.reconciled.append(oid)
                return "sent"
        store.start_attempt(oid, token, clock(), lease)
        summary.attempts += 1
        try:
            result = sender.send(channel, payload, str(oid))
        except DeliveryError as exc:
            store.attempt_failed(oid, token, str(exc), in_doubt=exc.ambiguous)
            in_doubt = exc.ambiguous
            if exc.permanent:
                store.mark_failed(oid, token, str(exc))
                return "failed"
            if attempt == max_attempts - 1:
                summary._stop(f"outbox row {oid}: {exc} (after {max_attempts} attempts this run)")
                return "pending"
            if exc.retry_after is not None:
                if exc.retry_after > max_retry_after:
                    summary._stop(f"outbox row {oid}: {channel} asked to wait {exc.retry_after:.0f}s")
                    return "pending"
                delay = exc.retry_after
            else:
                delay = min(max_delay, base_delay * (2 ** attempt))
            summary.waited_seconds += delay
            sleep(delay)
            continue
        store.mark_sent(oid, token, clock(), result.ts, result.channel_id)
        summary.sent.append(oid)
        return "sent"
    return "pending"
