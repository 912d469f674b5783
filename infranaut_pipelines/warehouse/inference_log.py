"""The narrow, model-independent shapes that dbt aggregates: one row per prediction / per label.

Features differ per model and stay in the lake; the warehouse gets only what every model has, so one
set of dbt models serves binary, multiclass and regression models alike.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from infranaut_pipelines.registry import ModelSpec, Registry
from infranaut_pipelines.warehouse.database import Warehouse


def inference_log_frame(valid: pl.DataFrame, spec: ModelSpec, day: dt.date) -> pl.DataFrame:
    pred = pl.col(spec.prediction.column)
    if spec.task == "binary_classification":
        value = pred.cast(pl.Float64)
        klass = pl.when(pred.is_null()).then(None).when(pred >= spec.prediction.threshold).then(pl.lit("1")).otherwise(
            pl.lit("0")
        )
    elif spec.task == "regression":
        value, klass = pred.cast(pl.Float64), pl.lit(None, dtype=pl.Utf8)
    else:
        value, klass = pl.lit(None, dtype=pl.Float64), pred.cast(pl.Utf8)
    return valid.select(
        pl.col("model_id").cast(pl.Utf8),
        pl.lit(day).alias("partition_date"),
        pl.col("prediction_id").cast(pl.Utf8),
        pl.col("model_version").cast(pl.Utf8),
        pl.col("timestamp"),
        pl.col("latency_ms").cast(pl.Float64),
        pl.col("status").cast(pl.Utf8),
        value.alias("prediction_value"),
        klass.alias("prediction_class"),
    )


def label_log_frame(labels: pl.DataFrame, spec: ModelSpec, model_id: str, day: dt.date) -> pl.DataFrame:
    label = pl.col(spec.label.column)
    if spec.task == "multiclass_classification":
        value, klass = pl.lit(None, dtype=pl.Float64), label.cast(pl.Utf8)
    elif spec.task == "binary_classification":
        value = label.cast(pl.Float64)
        klass = value.cast(pl.Int64).cast(pl.Utf8)
    else:
        value, klass = label.cast(pl.Float64), pl.lit(None, dtype=pl.Utf8)
    return labels.select(
        pl.lit(model_id).alias("model_id"),
        pl.lit(day).alias("partition_date"),
        pl.col("prediction_id").cast(pl.Utf8),
        value.alias("label_value"),
        klass.alias("label_class"),
        pl.col(spec.label.timestamp_column).alias("label_timestamp"),
    )


def ensure_log_tables(wh: Warehouse, spec: ModelSpec) -> None:
    """Create ``inference_log`` and ``label_log`` (empty, in their final shape) if they do not exist yet.

    The dbt models join the two; a deployment whose very first drop is labels (ground truth backfilled before
    the serving logs) would otherwise fail in dbt on the missing table. The labels then wait in ``label_log``
    and are joined when that day's predictions arrive.
    """
    prediction = pl.Utf8 if spec.task == "multiclass_classification" else pl.Float64
    no_inferences = pl.DataFrame(schema={
        "model_id": pl.Utf8, "prediction_id": pl.Utf8, "model_version": pl.Utf8,
        "timestamp": pl.Datetime("us", "UTC"), "latency_ms": pl.Float64, "status": pl.Utf8,
        spec.prediction.column: prediction})
    label = pl.Utf8 if spec.task == "multiclass_classification" else pl.Float64
    no_labels = pl.DataFrame(schema={"prediction_id": pl.Utf8, spec.label.column: label,
                                     spec.label.timestamp_column: pl.Datetime("us", "UTC")})
    day = dt.date(1970, 1, 1)  # any: the frames are empty, only their schema is used
    wh.ensure_table("inference_log", inference_log_frame(no_inferences, spec, day).schema)
    wh.ensure_table("label_log", label_log_frame(no_labels, spec, spec.id, day).schema)


def model_registry_frame(registry: Registry) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "model_id": [m.id for m in registry.models],
            "task": [m.task for m in registry.models],
            "prediction_threshold": [m.prediction.threshold for m in registry.models],
            "sla_latency_p95_ms": [m.sla.latency_p95_ms for m in registry.models],
            "sla_error_rate": [m.sla.error_rate for m in registry.models],
        }
    )
