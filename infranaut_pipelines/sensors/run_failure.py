"""Failed runs go to Slack too: a crashed ingestion is as important as a drifted feature.

Dagster's own ``run_failure_sensor`` does the watching; the message goes to the model's critical
channel (from the run's partition) or the registry's first channel when the run has no model.
"""

import dagster as dg

from infranaut_pipelines.alerting.render import escape, link
from infranaut_pipelines.notify.slack import DeliveryError
from infranaut_pipelines.resources.notify import NotifierResource
from infranaut_pipelines.resources.storage import InfranautSettings


def failure_message(job: str, run_id: str, partition: str | None, error: str, run_url: str | None) -> dict:
    """Block Kit payload; the error text comes from user code and data, so it is escaped and clipped."""
    lines = [f":rotating_light: *Run failed*: `{escape(job)}`" + (f" partition `{escape(partition)}`" if partition else "")]
    lines.append("```" + escape(error)[:2500] + "```")
    url = link(run_url, "Open the run in Dagster")
    if url:
        lines.append(url)
    text = "\n".join(lines)
    return {"text": f"Run failed: {job}", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}


@dg.run_failure_sensor(
    name="slack_on_run_failure",
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Posts every failed run to Slack (when Slack is configured).",
    monitor_all_code_locations=False,
)
def slack_on_run_failure(
    context: dg.RunFailureSensorContext, notifier: NotifierResource, settings: InfranautSettings
) -> None:
    sender = notifier.sender()
    if sender is None:
        context.log.info("Slack not configured; run failure not posted")
        return
    run = context.dagster_run
    partition = run.tags.get("dagster/partition")
    registry = settings.registry()
    model_id = partition.split("|")[-1] if partition and "|" in partition else None
    if model_id and model_id in registry.model_ids:
        routing = registry.model(model_id).alerts
        channel = routing.critical_channel or routing.slack_channel
    else:
        channel = registry.models[0].alerts.slack_channel if registry.models else "#ml-monitoring"
    error = context.failure_event.message or "unknown error"
    payload = failure_message(run.job_name, run.run_id, partition, error, settings.run_url(run.run_id))
    try:
        sender.send(channel, payload, key=f"run-failure-{run.run_id}")
    except DeliveryError as exc:
        # The sensor itself must keep ticking; Dagster keeps the failure visible in the UI regardless.
        context.log.warning(f"could not post run failure to Slack: {exc}")
