"""Freshness: alert when a model's inference drops stop arriving.

A silent model has no new partition, so no asset run would ever notice; this sensor does, on a timer.
It looks at the last ``LOOKBACK_DAYS`` days of ``dt=`` folders per model (bounded listing); a model with
nothing in that window is reported as stale for at least that long.
"""

import datetime as dt
import os

import dagster as dg

from infranaut_pipelines.ingest.contract import drop_prefix
from infranaut_pipelines.resources.notify import NotifierResource
from infranaut_pipelines.resources.storage import InfranautSettings, ObjectStoreResource, WarehouseResource
from infranaut_pipelines.storage import ObjectStore

LOOKBACK_DAYS = 7


def last_drop_times(store: ObjectStore, model_ids: list[str], now: dt.datetime) -> dict[str, dt.datetime]:
    """Latest upload time per model within the lookback; absent models are reported at the window's edge."""
    floor = now - dt.timedelta(days=LOOKBACK_DAYS)
    out: dict[str, dt.datetime] = {}
    for model_id in model_ids:
        latest = None
        for back in range(LOOKBACK_DAYS + 1):
            for obj in store.list(drop_prefix("inferences", model_id, (now - dt.timedelta(days=back)).date())):
                if latest is None or obj.last_modified > latest:
                    latest = obj.last_modified
        out[model_id] = latest or floor
    return out


@dg.sensor(
    name="freshness_sensor",
    minimum_interval_seconds=int(os.environ.get("INFRANAUT_FRESHNESS_INTERVAL_S", "1800")),
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
    last = last_drop_times(landing.get_store(), registry.model_ids, now)
    summaries, delivery = notifier.record_freshness(warehouse.get_warehouse(), registry, dict(last), now, context.log)
    fired = sorted({s.model_id for s in summaries if s.fired})
    resolved = sorted({s.model_id for s in summaries if s.resolved})
    return dg.SkipReason(
        f"freshness checked for {len(last)} models; stale now: {', '.join(fired) or 'none'}; "
        f"recovered: {', '.join(resolved) or 'none'}; slack: {'not configured' if delivery is None else delivery.as_metadata()}"
    )
