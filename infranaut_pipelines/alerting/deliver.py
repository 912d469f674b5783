"""Deliver the outbox to Slack: in creation order, with retries, without posting anything twice.

Per row: claim it (a lease, so two concurrent runs do not both post it), commit "attempt started, in doubt",
POST, then commit "sent" right after Slack's 200 in its own transaction. If the process dies between
Slack's 200 and that commit, the row is still pending *and in doubt*; the next run first looks the message
up by its metadata (outbox id) in the channel history (Web API transport) and marks it sent instead of
re-posting. Residual window: with an incoming webhook (no lookup possible), or when the lookup is not
permitted (missing channels:history scope), an in-doubt row is posted again -> at most one duplicate.

Order: a transient failure stops the run (the rest stay pending and go out, in order, next run); a
permanent one (channel_not_found, invalid_auth) marks that row failed and moves on.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from infranaut_pipelines.alerting.store import AlertStore
from infranaut_pipelines.notify.slack import DeliveryError, SendResult


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

    @property
    def complete(self) -> bool:
        return self.pending == 0

    def as_metadata(self) -> dict[str, object]:
        return {"sent": len(self.sent), "reconciled": len(self.reconciled), "failed": len(self.failed),
                "pending": self.pending, "attempts": self.attempts, "waited_seconds": round(self.waited_seconds, 3),
                "stopped_reason": self.stopped_reason or ""}


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def deliver_pending(store: AlertStore, sender: Sender, *, max_attempts_per_run: int = 4,
                    base_delay: float = 1.0, max_delay: float = 30.0, max_retry_after: float = 300.0,
                    lease: dt.timedelta = dt.timedelta(minutes=2), limit: int | None = None,
                    clock: Callable[[], dt.datetime] = _utcnow, sleep: Callable[[float], None] = time.sleep,
                    ) -> DeliverySummary:
    """Post pending outbox rows oldest first. ``clock``/``sleep`` are injectable so tests do not wait for real;
    Retry-After is honoured exactly (through ``sleep``), backoff is ``base_delay * 2**n`` capped at ``max_delay``.
    """
    summary = DeliverySummary()
    token = uuid.uuid4().hex
    rows = store.outbox(status="pending")
    if limit is not None:
        rows = rows[:limit]
    for index, row in enumerate(rows):
        claimed = store.claim(row["id"], token, clock(), lease)
        if claimed is None:
            summary.stopped_reason = f"outbox row {row['id']} is being delivered by another run"
            summary.pending = len(rows) - index
            return summary
        outcome = _deliver_one(store, sender, claimed, token, summary, max_attempts_per_run, base_delay,
                               max_delay, max_retry_after, lease, clock, sleep)
        if outcome == "sent":
            continue
        if outcome == "failed":
            summary.failed.append(row["id"])
            continue
        store.release(row["id"], token)
        summary.pending = len(store.outbox(status="pending"))
        return summary
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
                summary.stopped_reason = f"outbox row {oid}: {exc} (after {max_attempts} attempts this run)"
                return "pending"
            if exc.retry_after is not None:
                if exc.retry_after > max_retry_after:
                    summary.stopped_reason = f"outbox row {oid}: Slack asked to wait {exc.retry_after:.0f}s"
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
