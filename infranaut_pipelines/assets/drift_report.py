"""The drift report of one (date, model): HTML, JSON and CSV in the lake, the table in the UI, rows in
the warehouse. The nightly schedule builds yesterday's; any partition can be rebuilt on demand."""


import datetime as dt
import warnings

import dagster as dg
import polars as pl

from infranaut_pipelines.drift import compare
from infranaut_pipelines.interop.files import write_partition_files
from infranaut_pipelines.monitoring.bootstrap import bootstrap_window
from infranaut_pipelines.monitoring.layout import (
    baseline_state,
    load_current_baseline,
    report_html_key,
    report_prefix,
    waiting_marker_key,
)
from infranaut_pipelines.monitoring.reference import build_reference, describe_days, load_segments, store_reference
from infranaut_pipelines.monitoring.segments import compare_segments, segment_rows
from infranaut_pipelines.monitoring.specs import baseline_days, drift_columns, drift_settings
from infranaut_pipelines.partitions import (
    RANGE_BACKFILL_POLICY,
    date_model_partitions,
    each_partition,
    partition_key,
    range_result,
)
from infranaut_pipelines.reports import render_csv, render_html, render_json
from infranaut_pipelines.reports.links import LinkSettings, report_link
from infranaut_pipelines.reports.pdf import daily_pdf
from infranaut_pipelines.resources.io_manager import day_reader
from infranaut_pipelines.resources.storage import InfranautSettings, ObjectStoreResource, WarehouseResource
from infranaut_pipelines.settings import current as current_settings
from infranaut_pipelines.validation.display import escape_display

with warnings.catch_warnings():
    # Beta in Dagster 1.13, and exactly what we mean: each (date, model) reads the model's baseline.
    warnings.simplefilter("ignore", dg.BetaWarning)
    BASELINE_MAPPING = dg.MultiToSingleDimensionPartitionMapping(partition_dimension_name="model")


@dg.asset(
    pool="warehouse",  # opens the warehouse: on DuckDB (one writer process) such steps take turns
    partitions_def=date_model_partitions,
    group_name="monitoring",
    kinds={"html", "json"},
    ins={
        "model_features": dg.AssetIn(),
        "validated_labels": dg.AssetIn(),
    },
    deps=[dg.AssetDep("drift_baseline", partition_mapping=BASELINE_MAPPING)],
    backfill_policy=RANGE_BACKFILL_POLICY,
    description="Feature, prediction, concept and multivariate drift of the day against the model's current "
    "baseline, written as HTML/JSON/CSV reports under `reports/` in the lake.",
)
def drift_report(
    context: dg.AssetExecutionContext,
    model_features: dict,
    validated_labels: dict,
    lake: ObjectStoreResource,
    warehouse: WarehouseResource,
    settings: InfranautSettings,
) -> dg.MaterializeResult:
    def one_day(day: dt.date, model_id: str) -> dict:
        key = str(partition_key(day, model_id))
        if key not in model_features:  # a day of the range without predictions: no features, nothing to compare
            context.log.info(f"{model_id} {day}: no model_features partition, no drift report")
            return {"status": dg.MetadataValue.text("no predictions"), "current_rows": dg.MetadataValue.int(0)}
        labels = validated_labels.get(key)
        return _report_day(context, day, model_id, model_features[key],
                           labels if labels is not None else pl.DataFrame(), lake, warehouse, settings)

    return range_result(each_partition(context, one_day))


def _report_day(
    context: dg.AssetExecutionContext,
    day: dt.date,
    model_id: str,
    model_features: pl.DataFrame,
    validated_labels: pl.DataFrame,
    lake: ObjectStoreResource,
    warehouse: WarehouseResource,
    settings: InfranautSettings,
) -> dict:
    # The drift engine loads scipy (seconds): imported by this step, not by every code-location load.
    from infranaut_pipelines.monitoring.drift_table import drift_markdown, drift_rows, drift_summary_row

    spec = settings.registry().model(model_id)
    store = lake.get_store()
    wh, where = warehouse.get_warehouse(), {"model_id": model_id, "partition_date": day}
    if spec.drift.baseline.per_report_day:
        baseline = _same_weekday_reference(spec, day, lake)
        if baseline is None:
            return _no_reference_yet(context, spec, day, wh, where)
    else:
        baseline = load_current_baseline(store, model_id)
        if baseline is None:
            return _waiting_for_baseline(context, spec, day, lake, wh, where)
    sketch, pointer = baseline
    labels = None
    if validated_labels.height:
        labels = (
            model_features.select("prediction_id")
            .join(validated_labels.select("prediction_id", spec.label.column), on="prediction_id", how="left")
            .get_column(spec.label.column)
        )
    result = compare(sketch, model_features, drift_columns(spec), drift_settings(spec), labels=labels)

    report_context = {
        "model_id": model_id,
        "partition_date": day.isoformat(),
        "task": spec.task,
        "baseline_version": pointer["version"],
        "baseline_window": describe_days(pointer["days"]),
        "run_id": context.run.run_id,
        "run_url": settings.run_url(context.run.run_id),
    }
    if pointer.get("missing"):
        report_context["baseline_missing"] = "; ".join(pointer["missing"])
    segments = _segments(spec, store, pointer, model_features, labels, report_context)
    prefix = report_prefix(model_id, day)
    title = f"Drift report: {model_id} on {day.isoformat()}"
    store.write_bytes(report_html_key(model_id, day), render_html(result, title, report_context).encode("utf-8"))
    store.write_bytes(prefix + "drift_report.json", render_json(result, report_context).encode("utf-8"))
    store.write_bytes(prefix + "drift_report.csv", render_csv(result).encode("utf-8"))
    write_partition_files(store, spec, day, model_features, result, sketch)  # SageMaker-compatible (interop/)
    store.write_bytes(prefix + "drift_report.pdf", daily_pdf(result, title, report_context))
    html_uri = store.uri(report_html_key(model_id, day))
    if segments is not None:
        wh.replace_partition("segment_results", segment_rows(segments, model_id, day), where)
    wh.replace_partition("drift_results", drift_rows(result, model_id, day, pointer["version"]), where)
    wh.replace_partition("drift_summaries", drift_summary_row(result, model_id, day, pointer["version"], html_uri), where)
    store.delete_prefix(waiting_marker_key(model_id, day))  # this day no longer waits
    drifted = [c.name for c in result.columns if c.drifted and c.role == "feature"]
    return {
        "status": dg.MetadataValue.text("reported"),
        "dataset_drift": dg.MetadataValue.bool(bool(result.dataset_drift)),
        "drift_share": dg.MetadataValue.float(round(float(result.drift_share), 4)),
        "drifted_columns": dg.MetadataValue.text(", ".join(drifted) or "none"),
        "n_drifted": dg.MetadataValue.int(result.n_drifted),
        "prediction_drift": dg.MetadataValue.bool(bool(result.prediction_drift and result.prediction_drift.drifted)),
        "drift_table": dg.MetadataValue.md(drift_markdown(result)),
        # An http(s) link that opens (public site, presigned S3 URL or `infranaut reports serve`).
        "report_html": dg.MetadataValue.url(
            report_link(store, report_html_key(model_id, day), LinkSettings.from_settings(current_settings()))),
        "report_json": dg.MetadataValue.path(store.uri(prefix + "drift_report.json")),
        "report_pdf": dg.MetadataValue.url(
            report_link(store, prefix + "drift_report.pdf", LinkSettings.from_settings(current_settings()))),
        "baseline_version": dg.MetadataValue.text(pointer["version"]),
        "current_rows": dg.MetadataValue.int(model_features.height),
        **_segment_metadata(segments),
    }


def _segment_metadata(segments) -> dict:  # type: ignore[no-untyped-def]
    if not segments:
        return {}
    drifted = [r for r in segments if r.dataset_drift or r.drifted]
    return {
        "segments_drifted": dg.MetadataValue.int(len(drifted)),
        "worst_segment": dg.MetadataValue.text(escape_display(drifted[0].segment) if drifted else "none"),
    }


def _segments(spec, store, pointer: dict, current: pl.DataFrame, labels, report_context: dict):  # type: ignore[no-untyped-def]
    """Per-segment results (worst first) into the report, or None when the model declares no segments."""
    if not spec.segments:
        return None
    sketches = load_segments(store, pointer)
    if sketches is None:
        report_context["segments_note"] = ("the baseline was built before segments were declared: rebuild it "
                                           "(update_baseline_job) to monitor them")
        return []
    results = compare_segments(spec, sketches, current, labels)
    report_context["segments"] = [r.to_dict() for r in results]
    report_context["segments_left_out"] = sketches.left_out
    return results


def _same_weekday_reference(spec, day, lake: ObjectStoreResource):  # type: ignore[no-untyped-def]
    """This day's own reference: the same weekday of the previous N weeks that have data, sketched now and
    kept under its content version (so the report's baseline_version can be traced like any other)."""
    built = build_reference(spec, baseline_days(spec, as_of=day), day_reader(lake, spec.id))
    if built is None:
        return None
    return built.sketch, {**store_reference(lake.get_store(), built), "kind": "same weekday"}


def _no_reference_yet(context: dg.AssetExecutionContext, spec, day, wh, where: dict) -> dict:
    """A same-weekday model's first weeks: no earlier same weekday has data yet, so nothing to compare with."""
    days = baseline_days(spec, as_of=day)
    status = (f"no reference yet: none of the same weekday's previous {len(days)} week(s) "
              f"({days[0]} .. {days[-1]}) has data")
    for table in ("drift_results", "drift_summaries"):
        if wh.table_exists(table):
            wh.execute(f"DELETE FROM {table} WHERE model_id = :model_id AND partition_date = :partition_date", where)
    context.log.info(f"{spec.id} {day}: {status}")
    return {"status": dg.MetadataValue.text(status), "current_rows": dg.MetadataValue.int(0)}


def _waiting_for_baseline(context: dg.AssetExecutionContext, spec, day, lake: ObjectStoreResource, wh,
                          where: dict) -> dict:
    """A new model's day before its first baseline: record that it waits, fail nothing.

    The marker lets the baseline sensor re-run exactly these days once the baseline exists; the
    partition's drift rows are cleared so the alerts of this day see "drift not computed".
    """
    store = lake.get_store()
    _, days, _ = baseline_state(store, spec.id)
    window = bootstrap_window(spec, days, dt.datetime.now(dt.timezone.utc).date())
    status = "waiting for baseline" + (f" ({window.describe()})" if window else "")
    store.write_bytes(waiting_marker_key(spec.id, day), status.encode())
    for table in ("drift_results", "drift_summaries"):
        if wh.table_exists(table):
            wh.execute(f"DELETE FROM {table} WHERE model_id = :model_id AND partition_date = :partition_date", where)
    context.log.info(f"{spec.id} {day}: {status}; the report follows once the baseline is built")
    return {"status": dg.MetadataValue.text(status), "current_rows": dg.MetadataValue.int(0)}
