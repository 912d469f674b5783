"""The landing sensor: gather what may be new, ask the pure scanner what is, launch one run per partition.

A tick costs what is new, not what the bucket holds: it reads the S3 event queue when one is configured,
else lists only the recent ``dt=`` days of each registered model, and advances a bounded reconciliation
sweep (:mod:`infranaut_pipelines.ingest.gather`). All decisions (what is new, what is rejected, the
cursor) live in :mod:`infranaut_pipelines.ingest.scanner`; this file only wires, records and translates. A new registered model gets its dynamic
partition in the same tick, before its first run request (Dagster applies partition requests first).
"""

from __future__ import annotations

import datetime as dt

import dagster as dg
from botocore.exceptions import BotoCoreError, ClientError

from infranaut_pipelines import jobs
from infranaut_pipelines import settings as infranaut_settings
from infranaut_pipelines.ingest.gather import GatherConfig, Gathered, gather, visibility_for
from infranaut_pipelines.ingest.ledger import already_ingested, read_ledger
from infranaut_pipelines.ingest.listing import listing_window, plan_ranges, serving_log_planners
from infranaut_pipelines.ingest.rejections import Rejection, record_rejections
from infranaut_pipelines.ingest.scanner import ScanCursor, ScanResult, scan
from infranaut_pipelines.partitions import MODEL_PARTITIONS_NAME, PARTITIONS_START_DATE, model_partitions, partition_key
from infranaut_pipelines.resources.storage import InfranautSettings, ObjectStoreResource, WarehouseResource
from infranaut_pipelines.storage.object_store import ObjectStore
from infranaut_pipelines.storage.queue import EventQueue, open_queue

JOB_FOR_KIND = {"inferences": jobs.inference_pipeline_job, "labels": jobs.label_pipeline_job}
_MAX_LOGGED_REJECTS = 50
_MAX_LOGGED_NOTES = 20


def _queue_for(context: dg.SensorEvaluationContext, store: ObjectStore, url: str) -> tuple[EventQueue | None, tuple[str, str] | None]:
    """The event queue and the (bucket, prefix) its events must name; none for a local landing folder."""
    if not url:
        return None, None
    bucket = getattr(store, "bucket", None)
    if bucket is None:
        context.log.warning("INFRANAUT_LANDING_QUEUE_URL is set but the landing zone is not on S3: queue ignored")
        return None, None
    try:
        return open_queue(url), (bucket, getattr(store, "prefix", ""))
    except (BotoCoreError, ClientError, ValueError) as exc:  # e.g. no region: list instead, never stop the tick
        context.log.warning(f"cannot open the event queue ({type(exc).__name__}: {exc}); listing the recent days")
        return None, None


def evaluate_landing(
    context: dg.SensorEvaluationContext,
    landing: ObjectStoreResource,
    warehouse: WarehouseResource,
    settings: InfranautSettings,
    now: dt.datetime | None = None,
    lake: ObjectStoreResource | None = None,
) -> dg.SensorResult:
    now = now or dt.datetime.now(dt.timezone.utc)
    cfg = infranaut_settings.current()
    lookback = dt.timedelta(seconds=cfg.landing_lookback_s)
    cursor = ScanCursor.from_json(context.cursor, lookback=lookback)
    store = landing.get_store()
    registry = settings.registry()
    first_day = dt.date.fromisoformat(PARTITIONS_START_DATE)
    window = listing_window(now, cfg.landing_days_back, cfg.max_future_days, first_day)
    ranges = plan_ranges(registry.model_ids, window, planners=serving_log_planners(registry))
    gather_cfg = GatherConfig(
        reconcile=dt.timedelta(seconds=cfg.landing_reconcile_s),
        sweep_keys=cfg.landing_sweep_keys,
        lookback=lookback,
        visibility_timeout=visibility_for(cfg.landing_interval_s),
    )
    try:
        queue, bucket = _queue_for(context, store, cfg.landing_queue_url)
        # Gathered in full before scanning, so an outage mid-listing cannot produce a partial view.
        got: Gathered = gather(store, cursor, ranges, now, gather_cfg, queue=queue, bucket=bucket)
    except (BotoCoreError, ClientError, OSError) as exc:
        # The store is unreachable: request nothing and keep the cursor, so the next tick sees everything
        # (queue messages received meanwhile were not deleted: they come back).
        context.log.warning(f"landing store {store.url} unreachable: {exc}")
        return dg.SensorResult(skip_reason=f"landing store unreachable: {exc}", cursor=context.cursor)
    for note in got.notes[:_MAX_LOGGED_NOTES]:
        context.log.warning(note)
    if len(got.notes) > _MAX_LOGGED_NOTES:
        context.log.warning(f"... and {len(got.notes) - _MAX_LOGGED_NOTES} more queue notes")
    result: ScanResult = scan(
        got.objects,
        cursor,
        registry,
        now,
        max_future_days=cfg.max_future_days,
        first_day=first_day,
        swept=got.swept,
        events=got.events,
    )
    result.cursor = got.carry_into(result.cursor)
    _record_rejects(context, warehouse, result)
    requests = result.requests
    if lake is not None and requests:
        # Drops another path already ingested (the demo, `infranaut run`, a UI run) are not queued again.
        lake_store = lake.get_store()
        requests = [r for r in requests
                    if not already_ingested(r.objects, read_ledger(lake_store, r.kind, r.model_id, r.date))]
        if len(requests) < len(result.requests):
            context.log.info(f"{len(result.requests) - len(requests)} partition(s) already ingested: not requested")

    # Ask the instance, not only the cursor: partitions may have been added by the demo or removed by hand.
    existing = set(context.instance.get_dynamic_partitions(MODEL_PARTITIONS_NAME))
    to_add = sorted({r.model_id for r in requests} - existing)
    run_requests = [
        dg.RunRequest(
            run_key=r.run_key,
            job_name=JOB_FOR_KIND[r.kind].name,
            partition_key=partition_key(r.date, r.model_id),
            # infranaut/model: filter runs by model in the UI (the run queue limits on dagster/partition/model).
            tags={"infranaut/drop_kind": r.kind, "infranaut/new_files": str(len(r.objects)), "infranaut/model": r.model_id},
        )
        for r in requests
    ]
    if run_requests or result.rejects:
        files = sum(len(r.objects) for r in requests)
        context.log.info(
            f"{files} new file(s) -> {len(run_requests)} run(s); {len(result.rejects)} rejected; "
            f"new models: {', '.join(to_add) or 'none'}"
        )
    return dg.SensorResult(
        run_requests=run_requests,
        dynamic_partitions_requests=[model_partitions.build_add_request(to_add)] if to_add else [],
        cursor=result.cursor.to_json(),
    )


def _record_rejects(context: dg.SensorEvaluationContext, warehouse: WarehouseResource, result: ScanResult) -> None:
    if not result.rejects:
        return
    for r in result.rejects[:_MAX_LOGGED_REJECTS]:
        context.log.warning(f"rejected landing key {r.key}: {r.reason}")
    if len(result.rejects) > _MAX_LOGGED_REJECTS:
        context.log.warning(f"... and {len(result.rejects) - _MAX_LOGGED_REJECTS} more rejected keys")
    rows = [Rejection(r.key, r.reason, "sensor", r.version_token, r.model_id, r.partition_date) for r in result.rejects]
    try:
        record_rejections(warehouse.get_warehouse(), rows, at=result.rejects[0].seen_at)
    except Exception as exc:  # noqa: BLE001 - a busy warehouse (DuckDB lock) must not stop ingestion
        context.log.warning(f"could not record {len(rows)} rejection(s) in the warehouse ({exc}); they are logged above")


def build_landing_sensor(minimum_interval_seconds: int | None = None) -> dg.SensorDefinition:
    interval = minimum_interval_seconds or infranaut_settings.current().landing_interval_s

    @dg.sensor(
        name="landing_sensor",
        jobs=list(JOB_FOR_KIND.values()),
        minimum_interval_seconds=interval,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Launches the inference/label pipeline for each (date, model) with new drops in the "
        "landing zone; bad keys are rejected with a reason (table rejected_drops).",
    )
    def landing_sensor(
        context: dg.SensorEvaluationContext,
        landing: ObjectStoreResource,
        lake: ObjectStoreResource,
        warehouse: WarehouseResource,
        settings: InfranautSettings,
    ) -> dg.SensorResult:
        return evaluate_landing(context, landing, warehouse, settings, lake=lake)

    return landing_sensor
