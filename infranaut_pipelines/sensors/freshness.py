"""Freshness: alert when a model's live inference drops stop arriving.

A silent model has no new partition, so no asset run would ever notice; this sensor does, on a timer.
It looks at the last ``LOOKBACK_DAYS`` days of ``dt=`` folders per model (bounded listing) and keeps each
model's last *live* drop in its cursor, so a silence longer than the window is still measured exactly.

Only live traffic counts: a drop that arrived within ``LIVE_DELAY_DAYS`` of its day. History loaded
later (the demo's November days, a backfill of last year) is not the model "sending", and a model that
has never sent live traffic is not stale: freshness starts with its first live drop.
"""

import datetime as dt
import json

import dagster as dg

from infranaut_pipelines.ingest.contract import BadDropKey, drop_prefix
from infranaut_pipelines.ingest.formats.layout import listing_prefixes, locate
from infranaut_pipelines.registry import ModelSpec, Registry
from infranaut_pipelines.resources.notify import NotifierResource
from infranaut_pipelines.resources.storage import InfranautSettings, ObjectStoreResource, WarehouseResource
from infranaut_pipelines.settings import current
from infranaut_pipelines.storage import ObjectStore

LOOKBACK_DAYS = 7
LIVE_DELAY_DAYS = 2


def _recent_objects(store: ObjectStore, spec: ModelSpec, registry: Registry, now: dt.datetime):  # type: ignore[no-untyped-def]
    """(day, object) of a model's inference drops of the last days, in its own layout (docs/registry.md)."""
    days = [(now - dt.timedelta(days=back)).date() for back in range(LOOKBACK_DAYS + 1)]
    if spec.source.format == "infranaut":
        for day in days:
            for obj in store.list(drop_prefix("inferences", spec.id, day)):
                yield day, obj
        return
    # Serving-log layouts: list the folders those days map to, and take each object's day from its key.
    prefixes = dict.fromkeys(p for day in days for p in listing_prefixes(spec, "inferences", day))
    for prefix in prefixes:
        for obj in store.list(prefix):
            try:
                located = locate(obj.key, obj.last_modified, registry)
            except BadDropKey:
                continue  # rejected by the landing sensor, with its reason
            if located is not None and located.model_id == spec.id and located.kind == "inferences":
                yield located.date, obj


def live_drop_times(store: ObjectStore, registry: Registry, now: dt.datetime,
                    known: dict[str, dt.datetime] | None = None) -> dict[str, dt.datetime]:
    """Latest arrival of a live drop per model: from the recent days' drops, else what ``known`` says."""
    out = dict(known or {})
    for spec in registry.models:
        for day, obj in _recent_objects(store, spec, registry, now):
            arrived = obj.last_modified
            if (arrived.date() - day).days > LIVE_DELAY_DAYS:
                continue  # history uploaded late, not live traffic
            if spec.id not in out or arrived > out[spec.id]:
                out[spec.id] = arrived
    return {m: t for m, t in out.items() if m in registry.model_ids}


def _cursor(text: str | None) -> dict[str, dt.datetime]:
    try:
        return {m: dt.datetime.fromisoformat(t) for m, t in json.loads(text or "{}").items()}
    except (ValueError, AttributeError):
        return {}


@dg.sensor(
    name="freshness_sensor",
    minimum_interval_seconds=current().freshness_interval_s,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Alerts (Slack, via the alert outbox) when a model sends no inference drop for too long; "
    "thresholds come from the `hours_since_last_drop` alert rules.",
)
def freshness_sensor(
    context: dg.SensorEvaluationContext,
    landing: ObjectStoreResource,
    warehouse: WarehouseResource,
    settings: InfranautSettings,
    notifier: NotifierResource,
) -> dg.SkipReason:
    now = dt.datetime.now(dt.timezone.utc)
    registry = settings.registry()
    last = live_drop_times(landing.get_store(), registry, now, _cursor(context.cursor))
    context.update_cursor(json.dumps({m: t.isoformat() for m, t in sorted(last.items())}))
    not_live = sorted(set(registry.model_ids) - set(last))
    summaries, delivery = notifier.record_freshness(
        warehouse.get_warehouse(), registry, dict(last), now, context.log, models=sorted(last)
    )
    fired = sorted({s.model_id for s in summaries if s.fired})
    resolved = sorted({s.model_id for s in summaries if s.resolved})
    return dg.SkipReason(
        f"freshness checked for {len(last)} live models; not live yet: {', '.join(not_live) or 'none'}; "
        f"stale now: {', '.join(fired) or 'none'}; recovered: {', '.join(resolved) or 'none'}; "
        f"slack: {'not configured' if delivery is None else delivery.as_metadata()}"
    )
