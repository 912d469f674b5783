"""A raw-contract batch generator, for tests and the benchmark (no external data needed)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from infranaut_pipelines.registry.schema import ModelSpec


def raw_batch(spec: ModelSpec, day: dt.date, n: int, seed: int = 0, error_rate: float = 0.01) -> pl.DataFrame:
    """n clean rows for ``spec`` on ``day`` (status 'error' rows have a null prediction)."""
    rng = np.random.default_rng(seed)
    start = dt.datetime.combine(day, dt.time(), tzinfo=dt.timezone.utc)
    offsets = np.sort(rng.integers(0, 86_400_000_000, n))
    status = np.where(rng.random(n) < error_rate, "error", "ok")
    cols: dict[str, pl.Series] = {
        "prediction_id": pl.Series([f"{spec.id[:3]}-{day:%Y%m%d}-{i:08d}" for i in range(n)], dtype=pl.Utf8),
        "model_id": pl.repeat(spec.id, n, eager=True, dtype=pl.Utf8),
        "model_version": pl.repeat("v1", n, eager=True, dtype=pl.Utf8),
        "timestamp": pl.select(
            pl.lit(start, dtype=pl.Datetime("us", "UTC")) + pl.duration(microseconds=pl.Series(offsets))
        ).to_series(),
        "latency_ms": pl.Series(rng.gamma(2.0, 20.0, n)),
        "status": pl.Series(status),
    }
    for f in spec.features:
        if f.type == "float":
            lo, hi = f.min if f.min is not None else -1e3, f.max if f.max is not None else 1e3
            cols[f.name] = pl.Series(rng.uniform(lo, lo + (hi - lo) * 0.5, n))
        elif f.type == "int":
            lo, hi = int(f.min if f.min is not None else 0), int(f.max if f.max is not None else 1000)
            cols[f.name] = pl.Series(rng.integers(lo, max(lo + 1, (lo + hi) // 2), n), dtype=pl.Int64)
        elif f.type == "bool":
            cols[f.name] = pl.Series(rng.random(n) < 0.3)
        else:
            values = f.values or [f"user{i}@example.com" for i in range(50)]
            cols[f.name] = pl.Series(np.asarray(values, dtype=object)[rng.integers(0, len(values), n)], dtype=pl.Utf8)
    pred = spec.prediction.column
    if spec.task == "multiclass_classification":
        classes = np.asarray(spec.prediction.classes or ["a"], dtype=object)
        p = pl.Series(classes[rng.integers(0, len(classes), n)], dtype=pl.Utf8)
    elif spec.task == "binary_classification":
        p = pl.Series(rng.beta(2, 5, n))
    else:
        lo = spec.prediction.min if spec.prediction.min is not None else 0.0
        p = pl.Series(lo + rng.gamma(2.0, 10.0, n))
    cols[pred] = p
    df = pl.DataFrame(cols).with_columns(
        pl.when(pl.col("status") == "error").then(None).otherwise(pl.col(pred)).alias(pred),
        pl.lit(f"landing/{spec.id}/{day:%Y-%m-%d}/part-0.jsonl").alias("_source_file"),
        pl.int_range(1, n + 1, dtype=pl.Int64).alias("_row_number"),
        pl.lit([], dtype=pl.List(pl.Utf8)).alias("_ingest_errors"),
    )
    return df
