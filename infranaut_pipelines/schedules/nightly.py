"""The nightly drift schedule: yesterday's report and alerts for every model that has data for it."""


import datetime as dt

import dagster as dg

from infranaut_pipelines.jobs import nightly_report_job
from infranaut_pipelines.partitions import MODEL_PARTITIONS_NAME, partition_key

DEFAULT_CRON = "0 2 * * *"


def build_nightly_schedule(cron: str = DEFAULT_CRON) -> dg.ScheduleDefinition:
    @dg.schedule(
        name="nightly_drift_schedule",
        cron_schedule=cron,
        job=nightly_report_job,
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Builds yesterday's drift reports and alerts for all models (UTC).",
    )
    def nightly_drift_schedule(context: dg.ScheduleEvaluationContext):  # type: ignore[no-untyped-def]
        scheduled = context.scheduled_execution_time or dt.datetime.now(dt.timezone.utc)
        day = (scheduled.astimezone(dt.timezone.utc) - dt.timedelta(days=1)).date()
        models = context.instance.get_dynamic_partitions(MODEL_PARTITIONS_NAME)
        materialized = context.instance.get_materialized_partitions(dg.AssetKey("model_features"))
        requests, missing = [], []
        for model_id in sorted(models):
            key = partition_key(day, model_id)
            if str(key) not in {str(k) for k in materialized}:
                missing.append(model_id)
                continue
            requests.append(
                dg.RunRequest(
                    run_key=f"nightly-{day.isoformat()}-{model_id}",
                    partition_key=str(key),
                    tags={"infranaut/trigger": "nightly", "infranaut/model": model_id},
                )
            )
        if missing:
            context.log.warning(f"no features for {day} (no drop ingested?): {', '.join(missing)}")
        if not requests:
            return dg.SkipReason(f"no model has features for {day}; missing: {', '.join(missing) or 'no models'}")
        return requests

    return nightly_drift_schedule
