"""Feature engineering (pure): a model-ready table plus per-column statistics.

Scaling uses the registry's declared ranges, not the day's own statistics: a per-day scaler would
erase exactly the shifts that drift detection is meant to see, and it would make days incomparable.
Original feature columns are kept unchanged next to the engineered ones, because drift is measured
on what the model actually received.
"""

from __future__ import annotations

import math

import polars as pl

from infranaut_pipelines.registry import ModelSpec


def engineer_features(valid: pl.DataFrame, spec: ModelSpec, hourly: pl.DataFrame | None = None) -> pl.DataFrame:
    """Add ``<f>__scaled`` (declared range -> [0, 1], log1p when unbounded), ``<f>__missing`` flags,
    ``hour_of_day`` and, from the dbt hourly metrics, the traffic context of each request's hour."""
    exprs: list[pl.Expr] = [pl.col("timestamp").dt.hour().cast(pl.Int8).alias("hour_of_day")]
    for f in spec.features:
        col = pl.col(f.name)
        exprs.append(col.is_null().alias(f"{f.name}__missing"))
        if f.is_numeric:
            x = col.cast(pl.Float64)
            if f.min is not None and f.max is not None and f.max > f.min:
                scaled = ((x.clip(f.min, f.max) - f.min) / (f.max - f.min))
            else:
                scaled = x.clip(lower_bound=0).log1p()
            exprs.append(scaled.alias(f"{f.name}__scaled"))
        elif f.type == "bool":
            exprs.append(col.cast(pl.Int8).alias(f"{f.name}__scaled"))
    out = valid.with_columns(exprs)
    if hourly is not None and hourly.height:
        ctx = hourly.select(
            pl.col("hour").cast(pl.Int8).alias("hour_of_day"),
            pl.col("request_count").cast(pl.Int64).alias("requests_in_hour"),
            pl.col("error_rate").cast(pl.Float64).alias("error_rate_in_hour"),
        )
        out = out.join(ctx, on="hour_of_day", how="left")
    else:
        out = out.with_columns(
            pl.len().over("hour_of_day").cast(pl.Int64).alias("requests_in_hour"),
            pl.lit(None, dtype=pl.Float64).alias("error_rate_in_hour"),
        )
    return out


def feature_statistics(df: pl.DataFrame, spec: ModelSpec) -> pl.DataFrame:
    """One row per feature: type, count, null share, mean/std/min/max (numeric) or distinct/top (category)."""
    rows = []
    n = df.height
    for f in spec.features:
        if f.name not in df.columns:
            continue
        s = df.get_column(f.name)
        nulls = s.null_count()
        row = {"feature": f.name, "type": f.type, "count": n - nulls, "null_share": (nulls / n) if n else 0.0}
        if f.is_numeric and n - nulls:
            x = s.cast(pl.Float64)
            row |= {"mean": x.mean(), "std": x.std(), "min": x.min(), "max": x.max()}
        elif n - nulls:
            vc = s.drop_nulls().cast(pl.Utf8).value_counts(sort=True)
            row |= {"distinct": vc.height, "top": str(vc.row(0)[0]) if vc.height else None}
        rows.append(row)
    stats = pl.DataFrame(rows, infer_schema_length=None)
    return stats


def statistics_markdown(stats: pl.DataFrame, sensitive: set[str]) -> str:
    """Render the statistics table for the UI; sensitive columns show no values."""
    if stats.height == 0:
        return "no rows"
    header = "| feature | type | count | null share | mean | std | min | max | distinct | top |\n|" + "---|" * 10
    lines = [header]

    def fmt(v: object) -> str:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return ""
        if isinstance(v, float):
            return f"{v:.4g}"
        return str(v).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")

    for r in stats.iter_rows(named=True):
        top = "***" if r["feature"] in sensitive and r.get("top") is not None else r.get("top")
        lines.append(
            "| "
            + " | ".join(
                fmt(v)
                for v in (
                    r["feature"], r["type"], r["count"], r["null_share"], r.get("mean"), r.get("std"),
                    r.get("min"), r.get("max"), r.get("distinct"), top,
                )
            )
            + " |"
        )
    return "\n".join(lines)
