"""The drift report of one (date, model): HTML, JSON and CSV in the lake, the table in the UI, rows in
the warehouse. The nightly schedule builds yesterday's; any partition can be rebuilt on demand."""


import datetime as dt
import warnings

import dagster as dg
import polars as pl

from infranaut_pipelines.assets.baseline import load_current_baseline
from infranaut_pipelines.monitoring.bootstrap import bootstrap_window
from infranaut_pipelines.monitoring.layout import (
    baseline_state, report_html_key, report_prefix, waiting_marker_key,
)
from infranaut_pipelines.partitions import date_model_partitions, split_partition_key
from infranaut_pipelines.resources.storage import InfranautSettings, ObjectStoreResource, WarehouseResource


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
    description="Feature, prediction, concept and multivariate drift of the day against the model's current "
    "baseline, written as HTML/JSON/CSV reports under `reports/` in the lake.",
)
def drift_report(
    context: dg.AssetExecutionContext,
    model_features: pl.DataFrame,
    validated_labels: pl.DataFrame,
    lake: ObjectStoreResource,
    warehouse: WarehouseResource,
    settings: InfranautSettings,
) -> dg.MaterializeResult:
    # The drift engine loads scipy (seconds): imported by this step, not by every code-location load.
    from infranaut_pipelines.drift import compare
    from infranaut_pipelines.monitoring.drift_table import drift_markdown, drift_rows, drift_summary_row
    from infranaut_pipelines.monitoring.specs import drift_columns, drift_settings
    from infranaut_pipelines.reports import render_csv, render_html, render_json

    day, model_id = split_partition_key(context)
    spec = settings.registry().model(model_id)
    store = lake.get_store()
    wh, where = warehouse.get_warehouse(), {"model_id": model_id, "partition_date": day}
    baseline = load_current_baseline(lake, model_id)
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
        "baseline_window": f"{pointer['days'][0]} .. {pointer['days'][-1]}",
        "run_id": context.run_id,
        "run_url": settings.run_url(context.run_id),
    }
    if pointer.get("missing"):
        report_context["baseline_missing"] = "; ".join(pointer["missing"])
    prefix = report_prefix(model_id, day)
    title = f"Drift report: {model_id} on {day.isoformat()}"
    store.write_bytes(prefix + "drift_report.html", render_html(result, title, report_context).encode("utf-8"))
    store.write_bytes(prefix + "drift_report.json", render_json(result, report_context).encode("utf-8"))
    store.write_bytes(prefix + "drift_report.csv", render_csv(result).encode("utf-8"))
    html_uri = store.uri(report_html_key(model_id, day))
    wh.replace_partition("drift_results", drift_rows(result, model_id, day, pointer["version"]), where)
    wh.replace_partition("drift_summaries", drift_summary_row(result, model_id, day, pointer["version"], html_uri), where)
    store.delete_prefix(waiting_marker_key(model_id, day))  # this day no longer waits
    drifted = [c.name for c in result.columns if c.drifted and c.role == "feature"]
    return dg.MaterializeResult(
        metadata={
            "status": dg.MetadataValue.text("reported"),
            "dataset_drift": dg.MetadataValue.bool(bool(result.dataset_drift)),
            "drift_share": dg.MetadataValue.float(round(float(result.drift_share), 4)),
            "drifted_columns": dg.MetadataValue.text(", ".join(drifted) or "none"),
            "n_drifted": dg.MetadataValue.int(result.n_drifted),
            "prediction_drift": dg.MetadataValue.bool(bool(result.prediction_drift and result.prediction_drift.drifted)),
            "drift_table": dg.MetadataValue.md(drift_markdown(result)),
            # A URL (also for file:// and s3://) so the UI renders it as a link to open or copy.
            "report_html": dg.MetadataValue.url(html_uri),
            "report_json": dg.MetadataValue.path(store.uri(prefix + "drift_report.json")),
            "baseline_version": dg.MetadataValue.text(pointer["version"]),
            "current_rows": dg.MetadataValue.int(model_features.height),
        }
    )


def _waiting_for_baseline(context: dg.AssetExecutionContext, spec, day, lake: ObjectStoreResource, wh,
                          where: dict) -> dg.MaterializeResult:
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
    return dg.MaterializeResult(metadata={
        "status": dg.MetadataValue.text(status),
        "current_rows": dg.MetadataValue.int(0),
    })
