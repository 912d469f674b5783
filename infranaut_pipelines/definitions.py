"""The Dagster entry point. Loaded lazily (``@dg.definitions``) so that environment variables are read
when a process loads the code location, never at import time."""

from __future__ import annotations

import datetime as dt

import dagster as dg

from infranaut_pipelines import jobs
from infranaut_pipelines.assets import (
    alerting,
    baseline,
    drift_report,
    features,
    ingestion,
    registry_snapshot,
    trend,
    validation,
)
from infranaut_pipelines.assets.aggregation import aggregation_dbt_assets
from infranaut_pipelines.executors import select_executor
from infranaut_pipelines.partitions import PARTITIONS_START_DATE
from infranaut_pipelines.registry import RegistryError, load_registry
from infranaut_pipelines.registry.checks import window_problems
from infranaut_pipelines.registry.loader import registry_path
from infranaut_pipelines.resources import build_resources
from infranaut_pipelines.resources.dbt_state import dbt_state_dir
from infranaut_pipelines.schedules.nightly import build_nightly_schedule
from infranaut_pipelines.schedules.retention import build_retention_schedule
from infranaut_pipelines.sensors import baseline_sensor, freshness, landing_sensor, run_failure
from infranaut_pipelines.settings import current
from infranaut_pipelines.validation import check_rules


def build_definitions() -> dg.Definitions:
    settings = current()  # every setting checked here, naming the variable, before anything is built
    registry = load_registry()  # fails fast, naming file/model/field, when the registry is invalid
    # Against the partition set built when the code was imported (partitions.py), which is what runs can use.
    problems = window_problems(registry, str(registry_path()), dt.date.fromisoformat(PARTITIONS_START_DATE),
                               dt.datetime.now(dt.timezone.utc).date())
    if problems:
        raise RegistryError("\n".join(problems))
    # Malformed custom expectations fail here, not at 2 a.m.; rules that passed before are not checked again
    # (that would import Great Expectations into every process that loads the code location).
    check_rules(registry, remember_in=dbt_state_dir() / "checked-rules")
    alerting.validate_alert_config(registry)
    return dg.Definitions(
        assets=[
            *dg.load_assets_from_modules([ingestion, validation, registry_snapshot, features, baseline, drift_report,
                                          alerting, trend]),  # trend: downstream of alerts, in the nightly job
            aggregation_dbt_assets,
        ],
        jobs=[jobs.inference_pipeline_job, jobs.label_pipeline_job, jobs.nightly_report_job, jobs.update_baseline_job,
              jobs.retention_job],
        schedules=[build_nightly_schedule(settings.nightly_cron), build_retention_schedule(settings.retention_cron)],
        sensors=[
            landing_sensor.build_landing_sensor(),
            baseline_sensor.baseline_sensor,
            run_failure.alert_on_run_failure,
            run_failure.resolve_run_failure_alerts,
            freshness.freshness_sensor,
        ],
        resources=build_resources(),
        executor=select_executor(),
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions()
