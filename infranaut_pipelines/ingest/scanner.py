"""Decide, from a listing of the landing zone, which partitions have new drops (pure; the sensor wires it).

The cursor guarantee
--------------------
The cursor keeps a high-water mark ``hw`` (newest ``last_modified`` ever listed) and every
(key, version_token) whose ``last_modified`` is at or after ``hw - lookback``. Each tick:

* an object with ``last_modified >= hw - lookback`` is new unless its (key, version_token) is in the set,
  so a drop that shows up late with an older timestamp (a slow multipart upload, a listing lag) is
  still picked up, and a version is never requested twice: it stays in the set for as long as it
  could be re-listed inside the window;
* an object older than ``hw - lookback`` is assumed handled by an earlier tick and skipped.

Limit: an object that first becomes *visible* more than ``lookback`` after the mark has passed its
``last_modified`` is skipped silently (the cursor cannot tell it from an old, processed one without
growing forever). On S3, ``LastModified`` is when the upload started, so ``lookback`` must exceed the
longest upload plus the sensor interval; for a local landing folder, do not copy files in with their
old mtime preserved (``cp -p``, ``rsync -t/-a``): touch them, or re-run the partition by hand.
The cursor's size is bounded by the number of objects written within one ``lookback`` (plus the list
of known models and the drops waiting for their day), not by the bucket.

Drops for a day after ``now``'s UTC date but within ``max_future_days`` (a team in UTC+10 uploading
"today's" file) are *pending*: kept in the cursor and requested on the first tick on or after their day,
because that day's partition does not exist yet. Further in the future, they are rejected.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from infranaut_pipelines.ingest.contract import BadDropKey, DropKey, DropKind, parse_drop_key
from infranaut_pipelines.ingest.formats.layout import Located, locate, owner
from infranaut_pipelines.registry.schema import Registry
from infranaut_pipelines.storage.object_store import ObjectInfo

DEFAULT_LOOKBACK = dt.timedelta(hours=1)
_CURSOR_VERSION = 1


@dataclass
class ScanCursor:
    high_water: dt.datetime | None = None
    lookback: dt.timedelta = DEFAULT_LOOKBACK
    # (key, version_token) -> last_modified, only for objects inside the lookback window.
    seen: dict[tuple[str, str], dt.datetime] = field(default_factory=dict)
    known_models: set[str] = field(default_factory=set)
    # The floor never moves back: widening ``lookback`` must not re-admit objects already pruned from ``seen``.
    min_floor: dt.datetime | None = None
    # Accepted drops whose day has not started yet (see the module docstring).
    pending: list[ObjectInfo] = field(default_factory=list)
    # The reconciliation sweep (ingest/gather.py): where it resumes ("" = from the start, None = no sweep
    # under way), the oldest last_modified it treats as new (None: everything, on the first sweep), and
    # when the current or last sweep started (the next one starts a reconcile interval later).
    sweep_after: str | None = ""
    sweep_floor: dt.datetime | None = None
    sweep_started: dt.datetime | None = None
    # Receipt handles of queue messages used by this tick: deleted on the next tick, once this cursor (and
    # the run requests made with it) has been committed.
    to_delete: list[str] = field(default_factory=list)

    @property
    def floor(self) -> dt.datetime | None:
        if self.high_water is None:
            return self.min_floor
        mark = self.high_water - self.lookback
        return max(mark, self.min_floor) if self.min_floor else mark

    def to_json(self) -> str:
        return json.dumps(
            {
                "v": _CURSOR_VERSION,
                "high_water": self.high_water.isoformat() if self.high_water else None,
                "floor": self.floor.isoformat() if self.floor else None,
                # Compact: key, token, epoch microseconds. Sorted so equal cursors serialise equally.
                "seen": sorted([k, t, _to_us(lm)] for (k, t), lm in self.seen.items()),
                "models": sorted(self.known_models),
                "pending": [[o.key, o.size, o.etag, _to_us(o.last_modified), o.version_id] for o in self.pending],
                "sweep": [self.sweep_after, _iso(self.sweep_floor), _iso(self.sweep_started)],
                "delete": self.to_delete,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str | None, lookback: dt.timedelta = DEFAULT_LOOKBACK) -> "ScanCursor":
        """Parse a stored cursor; ``None``/empty gives a fresh one (first tick lists everything as new)."""
        if not text:
            return cls(lookback=lookback)
        raw = json.loads(text)
        if raw.get("v") != _CURSOR_VERSION:
            raise ValueError(f"unsupported landing cursor version {raw.get('v')!r}")
        hw, floor = raw.get("high_water"), raw.get("floor")
        return cls(
            high_water=dt.datetime.fromisoformat(hw) if hw else None,
            # The configured lookback wins over the stored one, so widening it takes effect at once.
            lookback=lookback,
            seen={(k, t): _from_us(us) for k, t, us in raw.get("seen", [])},
            known_models=set(raw.get("models", [])),
            min_floor=dt.datetime.fromisoformat(floor) if floor else None,
            pending=[ObjectInfo(k, size, etag, _from_us(us), vid) for k, size, etag, us, vid in raw.get("pending", [])],
            # A cursor written before the sweep existed starts one at once, new from its own floor on.
            **_sweep_fields(raw.get("sweep"), floor),
            to_delete=list(raw.get("delete", [])),
        )


def _iso(t: dt.datetime | None) -> str | None:
    return t.isoformat() if t else None


def _sweep_fields(raw: list | None, floor: str | None) -> dict:
    if raw is None:
        return {"sweep_after": "", "sweep_floor": dt.datetime.fromisoformat(floor) if floor else None,
                "sweep_started": None}
    after, sweep_floor, started = raw
    return {
        "sweep_after": after,
        "sweep_floor": dt.datetime.fromisoformat(sweep_floor) if sweep_floor else None,
        "sweep_started": dt.datetime.fromisoformat(started) if started else None,
    }


def _to_us(t: dt.datetime) -> int:
    return int(t.timestamp() * 1_000_000)


def _from_us(us: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(us / 1_000_000, tz=dt.timezone.utc)


@dataclass(frozen=True)
class PartitionRequest:
    """New drops for one (kind, model, day): one run, whatever the number of files."""

    kind: DropKind
    model_id: str
    date: dt.date
    objects: tuple[ObjectInfo, ...]
    run_key: str

    @property
    def partition_date(self) -> str:
        return self.date.isoformat()


@dataclass(frozen=True)
class ScanReject:
    key: str
    reason: str
    seen_at: dt.datetime
    version_token: str = ""
    model_id: str = ""
    partition_date: str = ""


@dataclass
class ScanResult:
    requests: list[PartitionRequest]
    rejects: list[ScanReject]
    new_models: list[str]
    cursor: ScanCursor


def run_key_for(kind: str, model_id: str, day: dt.date, objects: Iterable[ObjectInfo]) -> str:
    """Same partition + same set of object versions -> same key, so Dagster dedupes a re-sent request."""
    digest = hashlib.sha256()
    for key, token in sorted((o.key, o.version_token) for o in objects):
        digest.update(f"{key}\x00{token}\x00".encode())
    return f"{kind}:{model_id}:{day.isoformat()}:{digest.hexdigest()[:20]}"


def _drop(obj: ObjectInfo, registry: Registry) -> Located | DropKey:
    """The (kind, model, day) of a key: a serving-log layout the registry declares (ingest/formats), else the contract."""
    return locate(obj.key, obj.last_modified, registry) or parse_drop_key(obj.key)


def _classify(
    obj: ObjectInfo, registry_ids: set[str], last_day: dt.date, first_day: dt.date | None, registry: Registry
) -> tuple[tuple[str, str, dt.date] | None, str]:
    """((kind, model, day), "") for a good drop, or (None, reason) for a reject."""
    if obj.problem:  # the store listed it but cannot read it (a dangling or escaping symlink)
        return None, obj.problem
    try:
        drop = _drop(obj, registry)
    except BadDropKey as exc:
        return None, exc.reason
    if drop.model_id not in registry_ids:
        return None, f"model {drop.model_id!r} is not in the model registry; register it, then re-upload"
    if drop.date > last_day:
        return None, f"dt={drop.partition_date} is in the future (more than allowed past today, {last_day} UTC)"
    if first_day is not None and drop.date < first_day:
        return None, f"dt={drop.partition_date} is before the first partition day ({first_day})"
    if obj.size == 0:
        return None, "empty (0-byte) object"
    return (drop.kind, drop.model_id, drop.date), ""


def scan(
    objects: Iterable[ObjectInfo],
    cursor: ScanCursor,
    registry: Registry,
    now: dt.datetime,
    max_future_days: int = 1,
    first_day: dt.date | None = None,
    swept: Iterable[ObjectInfo] = (),
    events: Iterable[ObjectInfo] = (),
) -> ScanResult:
    """New drops grouped by partition, rejects with reasons, first-seen models, and the next cursor.

    Rejected objects are remembered like accepted ones, so each bad (key, version) is reported once.
    Requests are only made for days up to ``now``'s UTC date; later days wait in ``cursor.pending``.
    ``first_day``: drops for earlier days are rejected (they have no partition).
    ``swept``: objects from the reconciliation sweep; they are new from ``cursor.sweep_floor`` on rather
    than from the cursor's floor, which is how a drop for a day outside the listed window is found even
    when it was uploaded long before the sweep reached it. The caller moves the sweep fields on.
    ``events``: objects announced by the S3 event queue. An event is news whatever its time (a backlog after
    a stopped daemon arrives out of order), so only ``seen`` dedupes it; a message delivered again after its
    version left ``seen`` is stopped by its run key or by the ingestion ledger.
    """
    floor = cursor.floor
    seen = cursor.seen
    registry_ids = set(registry.model_ids)
    now = now.astimezone(dt.timezone.utc)
    today = now.date()
    last_day = today + dt.timedelta(days=max_future_days)
    high_water = cursor.high_water
    fresh: dict[tuple[str, str], dt.datetime] = {}
    groups: dict[tuple[str, str, dt.date], list[ObjectInfo]] = {}
    rejects: list[ScanReject] = []
    sweep_floor = cursor.sweep_floor
    tagged = [(o, floor) for o in objects] + [(o, sweep_floor) for o in swept] + [(o, None) for o in events]
    for obj, obj_floor in tagged:
        lm = obj.last_modified
        if high_water is None or lm > high_water:
            high_water = lm
        if obj_floor is not None and lm < obj_floor:
            continue  # handled by an earlier tick (see the module docstring for the limit)
        ident = (obj.key, obj.version_token)
        if ident in seen or ident in fresh:
            continue
        fresh[ident] = lm
        where, reason = _classify(obj, registry_ids, last_day, first_day, registry)
        if where is None:
            model = owner(obj.key, registry)  # a serving-log folder names its model (ingest/formats)
            hints = (model, "") if model else _key_hints(obj.key)
            rejects.append(ScanReject(obj.key, reason, now, obj.version_token, *hints))
        else:
            groups.setdefault(where, []).append(obj)

    for held in cursor.pending:
        try:
            drop = _drop(held, registry)
        except BadDropKey as exc:  # its model's source changed while it waited
            rejects.append(ScanReject(held.key, exc.reason, now, held.version_token, *_key_hints(held.key)))
            continue
        if drop.model_id not in registry_ids:  # unregistered while it waited
            reason = f"model {drop.model_id!r} is not in the model registry; register it, then re-upload"
            rejects.append(ScanReject(held.key, reason, now, held.version_token, drop.model_id, drop.partition_date))
            continue
        groups.setdefault((drop.kind, drop.model_id, drop.date), []).append(held)
    pending = [o for (_, _, day), objs in groups.items() if day > today for o in objs]
    requests = [
        PartitionRequest(kind, model, day, tuple(objs), run_key_for(kind, model, day, objs))  # type: ignore[arg-type]
        for (kind, model, day), objs in sorted(groups.items())
        if day <= today
    ]
    new_models = sorted({r.model_id for r in requests} - cursor.known_models)
    if high_water is not None and high_water > now:
        # A clock-skewed mtime in the future must not drag the floor past drops that are still arriving.
        high_water = max(now, cursor.high_water) if cursor.high_water else now
    next_cursor = ScanCursor(
        high_water=high_water,
        lookback=cursor.lookback,
        known_models=cursor.known_models | set(new_models),
        min_floor=floor,
        pending=sorted(pending, key=lambda o: (o.key, o.version_token)),
        sweep_after=cursor.sweep_after,
        sweep_floor=cursor.sweep_floor,
        sweep_started=cursor.sweep_started,
        to_delete=list(cursor.to_delete),
    )
    new_floor = next_cursor.floor
    next_cursor.seen = {i: lm for i, lm in {**seen, **fresh}.items() if new_floor is None or lm >= new_floor}
    return ScanResult(requests=requests, rejects=rejects, new_models=new_models, cursor=next_cursor)


def _key_hints(key: str) -> tuple[str, str]:
    """Best-effort (model_id, date) of a rejected key, so rejections can be filtered per model."""
    parts = key.split("/")
    model = parts[1] if len(parts) > 1 else ""
    day = parts[2][3:] if len(parts) > 2 and parts[2].startswith("dt=") else ""
    return model[:64], day[:10]
