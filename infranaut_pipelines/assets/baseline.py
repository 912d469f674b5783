"""The managed drift baseline: one sketch per model, rebuilt only when someone asks for it.

Rebuilding is explicit (the ``update_baseline_job`` or a materialization with config), and every build
gets a content-hash version, stored next to the previous ones; each drift report records which version
it used, so a report can always be traced back to its reference.
"""


import datetime as dt
import json
from typing import TYPE_CHECKING

import dagster as dg
import polars as pl

from infranaut_pipelines.monitoring.importance import feature_importance
from infranaut_pipelines.monitoring.layout import baseline_pointer_key, baseline_sketch_key
from infranaut_pipelines.partitions import model_partitions, partition_key
from infranaut_pipelines.resources.io_manager import lake_key, read_frame
from infranaut_pipelines.resources.storage import InfranautSettings, ObjectStoreResource

if TYPE_CHECKING:
    from infranaut_pipelines.drift import BaselineSketch


class BaselineConfig(dg.Config):
    """Leave empty to use the registry's window (pinned, or rolling up to yesterday)."""

    start: str | None = None
    end: str | None = None


def load_current_baseline(lake: ObjectStoreResource, model_id: str) -> "tuple[BaselineSketch, dict] | None":
    """The model's current baseline and its pointer, or None while it has none (see monitoring/bootstrap.py)."""
    # The drift engine loads scipy (seconds): imported by the steps that use it, not by every code-location load.
    from infranaut_pipelines.drift import BaselineSketch

    store = lake.get_store()
    if store.head(baseline_pointer_key(model_id)) is None:
        return None
    pointer = json.loads(store.read_bytes(baseline_pointer_key(model_id)))
    return BaselineSketch.from_bytes(store.read_bytes(pointer["sketch_key"])), pointer


@dg.asset(
    partitions_def=model_partitions,
    group_name="monitoring",
    kinds={"json"},
    deps=[dg.AssetKey("model_features"), dg.AssetKey("validated_labels")],
    description="Reference statistics (quantiles, category frequencies, moments, performance) of a model's "
    "baseline window, computed once and reused by every nightly drift report.",
)
def drift_baseline(
    context: dg.AssetExecutionContext, config: BaselineConfig, lake: ObjectStoreResource, settings: InfranautSettings
) -> dg.MaterializeResult:
    from infranaut_pipelines.drift import build_sketch
    from infranaut_pipelines.monitoring.specs import baseline_days, drift_columns, drift_settings

    model_id = context.partition_key
    spec = settings.registry().model(model_id)
    days = baseline_days(
        spec,
        as_of=dt.datetime.now(dt.timezone.utc).date(),
        start=dt.date.fromisoformat(config.start) if config.start else None,
        end=dt.date.fromisoformat(config.end) if config.end else None,
    )
    store = lake.get_store()
    frames, labels, used = [], [], []
    for day in days:
        key = lake_key("model_features", partition_key(day, model_id))
        if store.head(key) is None:
            context.log.warning(f"baseline day {day} has no model_features partition: skipped")
            continue
        frames.append(read_frame(lake, key))
        used.append(day.isoformat())
        lkey = lake_key("validated_labels", partition_key(day, model_id))
        if store.head(lkey) is not None:
            labels.append(read_frame(lake, lkey))
    if not frames:
        raise dg.Failure(f"no model_features partitions for {model_id} in the baseline window {days[0]}..{days[-1]}")
    reference = pl.concat(frames, how="diagonal_relaxed")
    label_series = None
    if labels:
        joined = reference.select("prediction_id").join(
            pl.concat(labels, how="diagonal_relaxed").select("prediction_id", spec.label.column),
            on="prediction_id",
            how="left",
        )
        label_series = joined.get_column(spec.label.column)
    labelled = 0 if label_series is None else int(label_series.is_not_null().sum())
    # Labels are optional ("later", often never): data, prediction and multivariate drift and SLA need none.
    # Below the minimum, the baseline is built without its performance parts, and says why.
    missing: list[str] = []
    need = 2 * drift_settings(spec).chunks  # two rows per reference chunk, the performance bands' minimum
    if spec.task and labelled < need:
        missing.append(f"performance and estimated performance: {labelled} labelled reference rows (need {need})")
        label_series = None
    sketch = build_sketch(
        reference,
        drift_columns(spec),
        drift_settings(spec),
        labels=label_series,
        prediction=reference.get_column(spec.prediction.column),
    )
    sketch_key = baseline_sketch_key(model_id, sketch.version)
    store.write_bytes(sketch_key, sketch.to_bytes())
    pointer = {
        "model_id": model_id,
        "version": sketch.version,
        "sketch_key": sketch_key,
        "days": used,
        "rows": reference.height,
        "labelled_rows": labelled,
        "missing": missing,
        "importance": feature_importance(reference, spec),
        "built_at": dt.datetime.now(dt.timezone.utc).isoformat(),
    }
    store.write_bytes(baseline_pointer_key(model_id), json.dumps(pointer, indent=2).encode())
    return dg.MaterializeResult(
        metadata={
            "baseline_version": dg.MetadataValue.text(sketch.version),
            "window": dg.MetadataValue.text(f"{used[0]} .. {used[-1]} ({len(used)} days)"),
            "row_count": dg.MetadataValue.int(reference.height),
            "labelled_rows": dg.MetadataValue.int(labelled),
            "missing_parts": dg.MetadataValue.text("; ".join(missing) or "none"),
            "sketch_path": dg.MetadataValue.path(store.uri(sketch_key)),
        },
        data_version=dg.DataVersion(sketch.version),
    )
