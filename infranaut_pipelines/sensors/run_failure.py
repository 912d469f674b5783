"""Failed runs are alerts too: a crashed ingestion is as important as a drifted feature.

Dagster's own run-status sensors do the watching. A failed run (after its retries) is evaluated by the
``run_failed`` rules (alerting/runs.py) and goes through the alert outbox to the model's routes for its
severity (Slack, PagerDuty, email, webhook), deduplicated per job and day; the next successful run of that job
for that day resolves it. A run with no model (retention, say) is recorded under ``pipeline`` and takes the
rule file's default route.
"""

import datetime as dt

import dagster as dg

from infranaut_pipelines.alerting.runs import NO_MODEL
from infranaut_pipelines.registry import Registry
from infranaut_pipelines.resources.notify import NotifierResource
from infranaut_pipelines.resources.storage import InfranautSettings, WarehouseResource


def run_target(tags: dict[str, str], registry: Registry) -> tuple[str, dt.date | None]:
    """(model, day) of a run from its partition tags; unknown models and unpartitioned runs are ``pipeline``."""
    model = tags.get("dagster/partition/model")
    day = tags.get("dagster/partition/date")
    partition = tags.get("dagster/partition", "")
    if (model is None or day is None) and "|" in partition:
        day, model = partition.split("|", 1)
    try:
        when = dt.date.fromisoformat(day) if day else None
    except ValueError:
        when = None
    return (model if model in registry.model_ids else NO_MODEL), when


def _failure_text(context: dg.RunFailureSensorContext) -> str:
    """The first failed step's error ("ValueError: ..."): what broke, not Dagster's "Steps failed: [...]"."""
    for record in context.instance.all_logs(context.dagster_run.run_id, of_type=dg.DagsterEventType.STEP_FAILURE):
        event = record.dagster_event
        error = event.step_failure_data.error if event is not None and event.step_failure_data else None
        while error is not None and error.cause is not None:  # Dagster's wrapper -> the user code's own error
            error = error.cause
        if error is not None:
            return f"step {event.step_key}: {error.message}"  # the message starts with the class name
    return context.failure_event.message or "unknown error"


def _record(context: dg.RunStatusSensorContext, notifier: NotifierResource, warehouse: WarehouseResource,
            settings: InfranautSettings, failed: bool, error: str) -> None:
    run = context.dagster_run
    registry = settings.registry()
    model_id, day = run_target(dict(run.tags), registry)
    summary, delivery = notifier.record_run(
        warehouse.get_warehouse(), registry, model_id, run.job_name, day, failed, error,
        dt.datetime.now(dt.timezone.utc), context.log, run_url=settings.run_url(run.run_id))
    if summary.fired or summary.resolved:
        context.log.info(f"run {run.run_id} ({run.job_name}, {model_id}): fired {len(summary.fired)}, resolved "
                         f"{len(summary.resolved)}; delivery: "
                         f"{'no channel configured' if delivery is None else delivery.as_metadata()}")


@dg.run_failure_sensor(
    name="alert_on_run_failure",
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="A failed run fires the `run_failed` alert rule: to the model's routes (Slack, PagerDuty, email, "
    "webhook) through the alert outbox, once per job and day.",
    monitor_all_code_locations=False,
)
def alert_on_run_failure(context: dg.RunFailureSensorContext, notifier: NotifierResource,
                         warehouse: WarehouseResource, settings: InfranautSettings) -> None:
    _record(context, notifier, warehouse, settings, True, _failure_text(context))


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    name="resolve_run_failure_alerts",
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="A successful run resolves the open `run_failed` alert of the same job and day.",
    monitor_all_code_locations=False,
)
def resolve_run_failure_alerts(context: dg.RunStatusSensorContext, notifier: NotifierResource,
                               warehouse: WarehouseResource, settings: InfranautSettings) -> None:
    _record(context, notifier, warehouse, settings, False, "")
