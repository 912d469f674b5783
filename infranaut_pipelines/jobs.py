"""Jobs: what the sensor, the schedule and users launch. Selections, not op lists, so new assets
downstream of a phase join the right job automatically."""

from __future__ import annotations

import dagster as dg

from infranaut_pipelines.ops.retention import apply_retention_op

BASELINE = dg.AssetSelection.assets("drift_baseline")
INGEST_INFERENCES = dg.AssetSelection.assets("raw_inferences")
INGEST_LABELS = dg.AssetSelection.assets("raw_labels")
# The registry row the dbt models join: rewritten by every run that aggregates.
REGISTRY_SNAPSHOT = dg.AssetSelection.assets("model_registry")

# A new inference drop: everything downstream of it, except the explicitly managed baseline. Labels are
# ingested too (often an empty partition) so the label-dependent assets always have an input to read.
INFERENCE_PIPELINE = ((INGEST_INFERENCES | INGEST_LABELS).downstream() - BASELINE) | REGISTRY_SNAPSHOT
inference_pipeline_job = dg.define_asset_job(
    "inference_pipeline_job",
    selection=INFERENCE_PIPELINE,
    description="Ingest, validate, aggregate, featurize, report drift and alert for one (date, model).",
)

# A late label drop: re-materialize what depends on labels (performance metrics, concept drift, alerts).
label_pipeline_job = dg.define_asset_job(
    "label_pipeline_job",
    selection=(INGEST_LABELS.downstream() - BASELINE) | REGISTRY_SNAPSHOT,
    description="Ingest late labels and refresh what depends on them for one (date, model).",
)

# The nightly report: drift and alerts for yesterday, using data already ingested.
nightly_report_job = dg.define_asset_job(
    "nightly_report_job",
    selection=dg.AssetSelection.assets("drift_report").downstream(),
    description="Build the drift report and evaluate alerts for one (date, model).",
)

update_baseline_job = dg.define_asset_job(
    "update_baseline_job",
    selection=BASELINE,
    description="Rebuild a model's drift baseline (a new recorded version). Config: start/end to override the window.",
)


# Retention (docs/deployment.md): an op job, because it deletes rather than produces data.
@dg.job(description="Delete what is past retention in the warehouse and the lake (config/retention.yaml).")
def retention_job() -> None:
    apply_retention_op()
