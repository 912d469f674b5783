"""What one landing-sensor tick looks at: queue events, the recent-days listing, a slice of the sweep.

Plain I/O over an :class:`ObjectStore` and an optional :class:`EventQueue` (no Dagster), so the sensor
stays thin and the order of operations is tested on its own:

1. delete the queue messages the previous tick used: its cursor has been committed, so its run requests
   were made (at-least-once: a crash before that commit lets the messages come back, and the run keys
   dedupe them);
2. receive new messages; malformed, test and unrelated messages are deleted at once (nothing depends on
   them) and reported;
3. when there is no queue, or it cannot be reached, list the recent days instead
   (:mod:`infranaut_pipelines.ingest.listing`): the fallback that misses nothing while the queue is down;
4. advance the reconciliation sweep by at most ``sweep_keys`` keys: the whole landing zone, a slice per
   tick, every ``reconcile`` interval. It finds drops outside the listed days and events that never came.

A listing failure propagates (the sensor then skips the tick with the cursor unchanged); a queue failure
does not (listing takes over).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

from botocore.exceptions import BotoCoreError, ClientError

from infranaut_pipelines.ingest.events import parse_event_message
from infranaut_pipelines.ingest.listing import ListRange, in_ranges
from infranaut_pipelines.ingest.scanner import ScanCursor
from infranaut_pipelines.storage.object_store import ObjectInfo, ObjectStore
from infranaut_pipelines.storage.queue import EventQueue

MAX_MESSAGES = 200  # a tick's receive budget (20 calls); the rest waits in the queue for the next tick
_MAX_HELD_HANDLES = 2000  # undeletable handles kept for retry; beyond that they expire on SQS anyway


@dataclass(frozen=True)
class GatherConfig:
    reconcile: dt.timedelta
    sweep_keys: int
    lookback: dt.timedelta
    visibility_timeout: int = 120


@dataclass
class Gathered:
    objects: list[ObjectInfo]  # from the recent-days listing: new from the cursor's floor on
    swept: list[ObjectInfo]  # from the sweep: new from the sweep's floor on
    events: list[ObjectInfo]  # from the queue: new unless already seen, however old (see scanner.scan)
    sweep: tuple[str | None, dt.datetime | None, dt.datetime | None]  # (after, floor, started) for next tick
    to_delete: list[str]  # receipt handles to delete on the next tick
    notes: list[str] = field(default_factory=list)  # for the log: queue trouble, ignored messages
    listed_ranges: int = 0
    received: int = 0
    queue_ok: bool = False

    def carry_into(self, scanned: ScanCursor) -> ScanCursor:
        """The scanner's next cursor with this tick's sweep position and handles (the scan itself used the
        floors of the cursor it was given)."""
        after, floor, started = self.sweep
        return dataclasses.replace(scanned, sweep_after=after, sweep_floor=floor, sweep_started=started,
                                   to_delete=self.to_delete)


def gather(
    store: ObjectStore,
    cursor: ScanCursor,
    ranges: list[ListRange],
    now: dt.datetime,
    cfg: GatherConfig,
    queue: EventQueue | None = None,
    bucket: tuple[str, str] | None = None,
) -> Gathered:
    """``bucket``: (name, prefix) of the landing store, which event records are matched against."""
    notes: list[str] = []
    held = _delete_now(queue, cursor.to_delete, notes) if queue and cursor.to_delete else []
    objects: list[ObjectInfo] = []
    events: list[ObjectInfo] = []
    used: list[str] = []
    queue_ok, received = False, 0
    if queue is not None and bucket is not None:
        try:
            messages = queue.receive(MAX_MESSAGES, cfg.visibility_timeout)
            queue_ok = True
        except (BotoCoreError, ClientError) as exc:
            notes.append(f"event queue unreachable ({_short(exc)}): listing the recent days instead")
            messages = []
        received = len(messages)
        drop_now: list[str] = []
        for m in messages:
            parsed = parse_event_message(m.body, *bucket)
            notes += [f"queue message {m.message_id[:40]}: {n}" for n in parsed.notes]
            events += parsed.objects
            # A message that names a drop is deleted after the commit; the others need nothing more.
            (used if parsed.objects else drop_now).append(m.receipt_handle)
        if drop_now:
            held += _delete_now(queue, drop_now, notes)
    listed = 0
    if not queue_ok:
        for r in ranges:
            objects += store.list(r.prefix, start_after=r.start_after)
            listed += 1
    swept, sweep = _sweep(store, cursor, ranges if not queue_ok else [], now, cfg)
    return Gathered(objects, swept, events, sweep, (used + held)[:_MAX_HELD_HANDLES], notes, listed, received,
                    queue_ok)


def _sweep(
    store: ObjectStore, cursor: ScanCursor, covered: list[ListRange], now: dt.datetime, cfg: GatherConfig
) -> tuple[list[ObjectInfo], tuple[str | None, dt.datetime | None, dt.datetime | None]]:
    after, floor, started = cursor.sweep_after, cursor.sweep_floor, cursor.sweep_started
    if after is None:
        if started is not None and now < started + cfg.reconcile:
            return [], (after, floor, started)  # not due
        after, started = "", now
    elif started is None:
        started = now  # a fresh cursor, or one from before the sweep existed
    batch = list(store.list("", start_after=after, limit=cfg.sweep_keys))
    if len(batch) < cfg.sweep_keys:
        # Done: the next sweep treats as new what was uploaded since this one started (minus the lookback,
        # for uploads that started before and finished after).
        after, floor = None, started - cfg.lookback
    else:
        after = batch[-1].key
    # What the recent-days listing already covers this tick is not offered twice.
    swept = [o for o in batch if not in_ranges(o.key, covered)]
    return swept, (after, floor, started)


def _delete_now(queue: EventQueue, handles: list[str], notes: list[str]) -> list[str]:
    """Delete; what could not be deleted is returned to retry next tick (a duplicate is harmless)."""
    try:
        return queue.delete(handles)
    except (BotoCoreError, ClientError) as exc:
        notes.append(f"could not delete {len(handles)} queue message(s) ({_short(exc)}); retried next tick")
        return list(handles)


def _short(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:200]


def visibility_for(interval_s: int) -> int:
    """Long enough that a message is deleted (next tick) before SQS shows it again."""
    return max(60, 4 * interval_s)

