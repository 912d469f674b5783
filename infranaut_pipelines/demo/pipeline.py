"""Run the whole graph headless for the demo partitions, in the right order.

Order matters once: the baseline is built from the first days' features, and reports need the
baseline. So: (1) ingest -> features for the baseline days, (2) build each model's baseline,
(3) reports and alerts for the baseline days, (4) the full pipeline for every later day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import dagster as dg

from infranaut_pipelines.jobs import INFERENCE_PIPELINE
from infranaut_pipelines.partitions import MODEL_PARTITIONS_NAME, partition_key
from infranaut_pipelines.registry import Registry

REPORT_ASSETS = dg.AssetSelection.assets("drift_report").downstream()


def run_demo_pipeline(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    registry: Registry,
    days: list[dt.date],
    say: Callable[[str], None] = print,
    log_level: str = "WARNING",
) -> dict[str, int]:
    models = registry.model_ids
    instance.add_dynamic_partitions(MODEL_PARTITIONS_NAME, models)
    job = defs.resolve_job_def("inference_pipeline_job")
    baseline_job = defs.resolve_job_def("update_baseline_job")
    graph = defs.resolve_asset_graph()
    up_to_features = list((INFERENCE_PIPELINE - REPORT_ASSETS).resolve(graph))
    reports_only = list(REPORT_ASSETS.resolve(graph))
    stats = {"runs": 0, "failed": 0}

    def run(j: dg.JobDefinition, key: str, label: str, run_config: dict | None = None, **kw: object) -> None:
        # Step-by-step DEBUG logs belong in the UI, not on the terminal of someone trying the demo.
        config = {**(run_config or {}), "loggers": {"console": {"config": {"log_level": log_level}}}}
        result = j.execute_in_process(
            instance=instance, partition_key=key, raise_on_error=False, run_config=config, **kw  # type: ignore[arg-type]
        )
        stats["runs"] += 1
        if not result.success:
            stats["failed"] += 1
        say(f"  {'ok  ' if result.success else 'FAIL'} {label} {key} (run {result.run_id[:8]})")

    for model in models:
        spec = registry.model(model)
        window = [d for d in days if spec.drift.baseline.start and spec.drift.baseline.start <= d <= spec.drift.baseline.end]  # type: ignore[operator]
        window = window or days[:3]
        say(f"[{model}] baseline days: {window[0]} .. {window[-1]}")
        for day in window:
            run(job, str(partition_key(day, model)), "ingest->features", asset_selection=up_to_features)
        run(
            baseline_job,
            model,
            "drift_baseline",
            run_config={"ops": {"drift_baseline": {"config": {"start": window[0].isoformat(), "end": window[-1].isoformat()}}}},
        )
        for day in days:
            if day in window:
                run(job, str(partition_key(day, model)), "drift->alerts", asset_selection=reports_only)
            else:
                run(job, str(partition_key(day, model)), "full pipeline")
    return stats
