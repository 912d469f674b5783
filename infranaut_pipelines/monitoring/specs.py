"""Translate a registry entry into the drift engine's column specs and settings, and pick baseline days."""

from __future__ import annotations

import datetime as dt

from infranaut_pipelines.drift import ColumnSpec, DriftSettings
from infranaut_pipelines.registry import ModelSpec


def drift_columns(spec: ModelSpec) -> list[ColumnSpec]:
    """Features by declared type (bool is categorical), then the prediction, with registry overrides."""
    cols: list[ColumnSpec] = []
    for f in spec.features:
        if not f.drift:
            continue
        o = spec.drift.columns.get(f.name)
        cols.append(
            ColumnSpec(
                name=f.name,
                kind="numeric" if f.is_numeric else "categorical",
                method=o.method if o else None,
                threshold=o.threshold if o else None,
            )
        )
    o = spec.drift.columns.get(spec.prediction.column)
    cols.append(
        ColumnSpec(
            name=spec.prediction.column,
            kind="categorical" if spec.task == "multiclass_classification" else "numeric",
            method=o.method if o else None,
            threshold=o.threshold if o else None,
            role="prediction",
        )
    )
    return cols


def drift_settings(spec: ModelSpec) -> DriftSettings:
    return DriftSettings(
        drift_share=spec.drift.drift_share,
        learned_thresholds=spec.drift.learned_thresholds,
        size_aware_thresholds=spec.drift.size_aware_thresholds,
        task=spec.task,
        prediction_threshold=spec.prediction.threshold,
    )


def baseline_days(spec: ModelSpec, as_of: dt.date, start: dt.date | None = None, end: dt.date | None = None) -> list[dt.date]:
    """The days a baseline is built from: explicit override, else the registry's pinned window or listed
    ``seasonal_days``, else for ``same_weekday_weeks`` the same weekday of the N weeks before ``as_of`` (the
    report day), else the ``rolling_days`` days before ``as_of``."""
    b = spec.drift.baseline
    if not (start and end) and b.seasonal_days:
        return sorted(b.seasonal_days)
    if not (start and end) and b.same_weekday_weeks:
        return [as_of - dt.timedelta(weeks=k) for k in range(b.same_weekday_weeks, 0, -1)]
    if start and end:
        lo, hi = start, end
    elif b.start and b.end:
        lo, hi = b.start, b.end
    else:
        hi = as_of - dt.timedelta(days=1)
        lo = hi - dt.timedelta(days=(b.rolling_days or 7) - 1)
    if lo > hi:
        raise ValueError(f"baseline window starts after it ends: {lo} > {hi}")
    return [lo + dt.timedelta(days=i) for i in range((hi - lo).days + 1)]
