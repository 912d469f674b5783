"""The managed drift baseline: one sketch per model, rebuilt only when someone asks for it.

Rebuilding is explicit (the ``update_baseline_job`` or a materialization with config), and every build
gets a content-hash version, stored next to the previous ones; each drift report records which version
it used, so a report can always be traced back to its reference.
"""


import datetime as dt
import json

import dagster as dg

from infranaut_pipelines.interop.files import write_baseline_files
from infranaut_pipelines.monitoring.layout import baseline_pointer_key
from infranaut_pipelines.monitoring.reference import build_reference, describe_days, store_reference
from infranaut_pipelines.monitoring.specs import baseline_days
from infranaut_pipelines.partitions import model_partitions
from infranaut_pipelines.resources.io_manager import day_reader
from infranaut_pipelines.resources.storage import InfranautSettings, ObjectStoreResource


class BaselineConfig(dg.Config):
    """Leave empty to use the registry's window (pinned, or rolling up to yesterday)."""

    start: str | None = None
    end: str | None = None


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

    model_id = context.partition_key
    spec = settings.registry().model(model_id)
    days = baseline_days(
        spec,
        as_of=dt.datetime.now(dt.timezone.utc).date(),
        start=dt.date.fromisoformat(config.start) if config.start else None,
        end=dt.date.fromisoformat(config.end) if config.end else None,
    )
    if spec.drift.baseline.per_report_day:
        raise dg.Failure(f"{model_id} compares each day with the same weekday of the previous weeks: each drift "
                         "report builds its own reference, there is no shared baseline to build")
    store = lake.get_store()
    built = build_reference(spec, days, day_reader(lake, model_id))
    if built is None:
        raise dg.Failure(f"no model_features partitions for {model_id} in the baseline window {days[0]}..{days[-1]}")
    for day in built.skipped:
        context.log.warning(f"baseline day {day} has no model_features partition: skipped")
    sketch, used, missing = built.sketch, built.pointer["days"], built.pointer["missing"]
    pointer = store_reference(store, built)
    write_baseline_files(store, spec, sketch)  # SageMaker Model Monitor's constraints.json (interop/)
    store.write_bytes(baseline_pointer_key(model_id), json.dumps(pointer, indent=2).encode())
    return dg.MaterializeResult(
        metadata={
            "baseline_version": dg.MetadataValue.text(sketch.version),
            "window": dg.MetadataValue.text(f"{describe_days(used)} ({len(used)} days)"),
            "row_count": dg.MetadataValue.int(built.rows),
            "labelled_rows": dg.MetadataValue.int(built.labelled),
            "missing_parts": dg.MetadataValue.text("; ".join(missing) or "none"),
            "sketch_path": dg.MetadataValue.path(store.uri(pointer["sketch_key"])),
            "segments": dg.MetadataValue.int(sum(len(v) for v in built.segments.sketches.values())
                                             if built.segments else 0),
        },
        data_version=dg.DataVersion(sketch.version),
    )
