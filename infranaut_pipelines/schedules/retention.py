"""The retention schedule: once a day, delete what is past retention (the job's own rules keep the rest)."""

import dagster as dg

from infranaut_pipelines.jobs import retention_job

DEFAULT_CRON = "30 4 * * *"  # after the nightly reports (02:00 UTC), before the working day


def build_retention_schedule(cron: str = DEFAULT_CRON) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name="retention_schedule",
        cron_schedule=cron,
        job=retention_job,
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Deletes warehouse rows and lake partitions past retention (config/retention.yaml).",
    )
