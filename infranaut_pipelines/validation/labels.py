"""Validate delayed ground-truth labels: type/range of the label, one label per prediction_id."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from infranaut_pipelines.registry.schema import ModelSpec

REASONS = "quarantine_reasons"


def _label_check(spec: ModelSpec, col: str) -> tuple[pl.DataType, pl.Expr, str]:
    """(target dtype, predicate of a bad non-null value, description)."""
    x = pl.col(col)
    if spec.task == "binary_classification":
        return pl.Float64, ~x.is_in([0.0, 1.0]), "not 0/1"
    if spec.task == "multiclass_classification":
        return pl.Utf8, ~x.is_in(list(spec.prediction.classes or [])), "not a known class"
    bad = x.is_nan()
    if spec.prediction.min is not None:
        bad = bad | (x < spec.prediction.min)
    if spec.prediction.max is not None:
        bad = bad | (x > spec.prediction.max)
    return pl.Float64, bad, "out of the prediction's range"


def validate_labels(raw_labels: pl.DataFrame, spec: ModelSpec) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, Any]]:
    """Returns (valid, quarantine, metrics). Duplicates keep the latest label_timestamp (a corrected
    label supersedes the first one); the superseded rows are dropped, not quarantined."""
    col, ts = spec.label.column, spec.label.timestamp_column
    missing = [c for c in ("prediction_id", col, ts) if c not in raw_labels.columns]
    if missing:
        raise ValueError(f"model {spec.id!r}: label batch lacks columns {missing}")
    dtype, bad_value, word = _label_check(spec, col)
    df = raw_labels.with_columns(pl.int_range(pl.len()).alias("_idx"))
    orig = pl.col("_orig")
    if dtype == pl.Float64 and df.schema[col] in (pl.Utf8, pl.Boolean):
        cast = orig.cast(pl.Utf8).str.to_lowercase().replace({"true": "1", "false": "0"}).cast(dtype, strict=False)
    else:
        cast = orig.cast(dtype, strict=False)
    ts_dtype = df.schema[ts]
    if ts_dtype == pl.Utf8:
        ts_cast = pl.col(ts).str.to_datetime(strict=False, time_zone="UTC", time_unit="us")
    elif isinstance(ts_dtype, pl.Datetime) and ts_dtype.time_zone is None:
        ts_cast = pl.col(ts).dt.replace_time_zone("UTC")
    else:
        ts_cast = pl.col(ts)
    typed = df.with_columns(pl.col(col).alias("_orig")).with_columns(cast.alias(col), ts_cast.alias(ts))
    reasons = pl.concat_list([
        pl.when(pl.col("prediction_id").is_null()).then(pl.lit("prediction_id: null")),
        pl.when(pl.col(col).is_null() & orig.is_not_null())
        .then(pl.format("{}: '{}' is not a valid label", pl.lit(col), orig.cast(pl.Utf8))),
        pl.when(orig.is_null()).then(pl.lit(f"{col}: null")),
        pl.when(pl.col(col).is_not_null() & bad_value)
        .then(pl.format("{}: {} {}", pl.lit(col), pl.col(col).cast(pl.Utf8), pl.lit(word))),
        pl.when(pl.col(ts).is_null()).then(pl.lit(f"{ts}: null or unparseable")),
    ]).list.drop_nulls()
    typed = typed.with_columns(reasons.alias(REASONS))
    bad = typed[REASONS].list.len() > 0
    quarantine = df.filter(bad).with_columns(
        [pl.col(c).cast(pl.Utf8) for c in df.columns if c != "_idx" and not isinstance(df.schema[c], (pl.List, pl.Struct))]
    ).with_columns(typed.filter(bad)[REASONS].alias(REASONS),
                   pl.lit(dt.datetime.now(dt.timezone.utc), dtype=pl.Datetime("us", "UTC")).alias("quarantined_at")).drop("_idx")
    good = typed.filter(~bad).drop(REASONS, "_orig")
    deduped = good.sort([ts, "_idx"]).unique("prediction_id", keep="last", maintain_order=False).sort("_idx").drop("_idx")
    metrics = {
        "rows_raw": raw_labels.height,
        "rows_valid": deduped.height,
        "rows_quarantined": quarantine.height,
        "duplicates_superseded": good.height - deduped.height,
        "quarantine_share": round(quarantine.height / raw_labels.height, 6) if raw_labels.height else 0.0,
    }
    if spec.task == "binary_classification":
        deduped = deduped.with_columns(pl.col(col).cast(pl.Int64))
    return deduped, quarantine, metrics
