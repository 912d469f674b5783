"""How much each feature matters to the model's output, measured on the baseline (pure).

Used to rank drifted features for root-cause hints: a drifted feature the prediction barely depends on is
a weaker suspect than one it tracks closely. Without model internals we measure association with the
prediction: |Spearman rho| for numeric features, the correlation ratio (eta) for categorical ones; both
lie in [0, 1], so they can be compared.
"""

from __future__ import annotations

import math

import polars as pl

from infranaut_pipelines.registry import ModelSpec


def feature_importance(reference: pl.DataFrame, spec: ModelSpec) -> dict[str, float]:
    pred_col = spec.prediction.column
    if pred_col not in reference.columns or spec.task == "multiclass_classification":
        return {}
    base = reference.filter(pl.col(pred_col).is_not_null() & pl.col(pred_col).is_finite())
    if base.height < 3:
        return {}
    out: dict[str, float] = {}
    for f in spec.features:
        if not f.drift or f.name not in base.columns:
            continue
        if f.is_numeric:
            pair = base.select(pl.col(f.name).cast(pl.Float64).rank(), pl.col(pred_col).rank()).drop_nulls()
            rho = pair.select(pl.corr(pl.col(f.name), pl.col(pred_col))).item() if pair.height > 2 else None
            value = abs(rho) if rho is not None and math.isfinite(rho) else 0.0
        else:
            value = _correlation_ratio(base, f.name, pred_col)
        out[f.name] = round(float(value), 6)
    return out


def _correlation_ratio(df: pl.DataFrame, cat: str, target: str) -> float:
    y = df.get_column(target).cast(pl.Float64)
    total = float(((y - y.mean()) ** 2).sum())  # type: ignore[operator]
    if total == 0:
        return 0.0
    groups = df.group_by(pl.col(cat).cast(pl.Utf8)).agg(pl.len().alias("n"), pl.col(target).cast(pl.Float64).mean().alias("m"))
    mean = y.mean()
    between = float(groups.select((pl.col("n") * (pl.col("m") - mean) ** 2).sum()).item())
    return math.sqrt(max(0.0, min(1.0, between / total)))
