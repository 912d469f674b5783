"""Bootstraps each new model's first baseline, then produces the reports that waited for it.

A sensor rather than declarative automation: the decision spans partitions (is every day of the
model's baseline window featurized, and have its labels had time to arrive?) and ends in a one-off run
with a computed config (the window), followed by runs for exactly the days whose drift report recorded
"waiting for baseline". The rules are pure (monitoring/bootstrap.py); this file lists the lake and
translates to run requests. Run keys make each build and each waiting report happen once.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg

from infranaut_pipelines import jobs
from infranaut_pipelines.monitoring.bootstrap import next_step
from infranaut_pipelines.monitoring.layout import baseline_state
from infranaut_pipelines.partitions import MODEL_PARTITIONS_NAME, partition_key
from infranaut_pipelines.resources.storage import InfranautSettings, ObjectStoreResource
from infranaut_pipelines.settings import current


def evaluate_baselines(context: dg.SensorEvaluationContext, lake: ObjectStoreResource,
                       settings: InfranautSettings, today: dt.date | None = None) -> dg.SensorResult:
    today = today or dt.datetime.now(dt.timezone.utc).date()
    store = lake.get_store()
    live = set(context.instance.get_dynamic_partitions(MODEL_PARTITIONS_NAME))
    requests: list[dg.RunRequest] = []
    notes: list[str] = []
    for spec in settings.registry().models:
        if spec.id not in live:
            continue
        pointer, feature_days, waiting = baseline_state(store, spec.id)
        step = next_step(spec, pointer is not None, feature_days, waiting, today)
        notes.append(f"{spec.id}: {step.status}")
        if step.build is not None:
            w = step.build
            requests.append(dg.RunRequest(
                run_key=f"baseline:{spec.id}:{w.start}:{w.end}",
                job_name=jobs.update_baseline_job.name,
                partition_key=spec.id,
                run_config=w.run_config(),
                tags={"infranaut/model": spec.id, "infranaut/reason": "first baseline"},
            ))
        for day in step.reports:
            requests.append(dg.RunRequest(
                run_key=f"report:{spec.id}:{day}:{pointer['version'] if pointer else ''}",
                job_name=jobs.nightly_report_job.name,
                partition_key=partition_key(day, spec.id),
                tags={"infranaut/model": spec.id, "infranaut/reason": "waited for baseline"},
            ))
    if not requests:
        return dg.SensorResult(skip_reason="; ".join(notes) or "no models with data yet")
    context.log.info("; ".join(notes))
    return dg.SensorResult(run_requests=requests)


@dg.sensor(
    name="baseline_sensor",
    jobs=[jobs.update_baseline_job, jobs.nightly_report_job],
    minimum_interval_seconds=current().baseline_interval_s,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Builds a new model's first drift baseline once its window is complete, then the drift "
    "reports of the days that waited for it.",
)
def baseline_sensor(
    context: dg.SensorEvaluationContext, lake: ObjectStoreResource, settings: InfranautSettings
) -> dg.SensorResult:
    return evaluate_baselines(context, lake, settings)
