"""SageMaker Model Monitor's file formats: ``statistics.json``, ``constraints.json``, ``constraint_violations.json``.

Schemas as the SageMaker developer guide documents them (model-monitor-byoc-statistics,
-byoc-constraints and -interpreting-violations):

* statistics: ``version``, ``dataset.item_count``, ``features[]`` with ``name``, ``inferred_type``
  (``Integral`` / ``Fractional`` / ``String``) and ``numerical_statistics`` (``common.num_present`` /
  ``num_missing``, ``mean``, ``sum``, ``std_dev``, ``min``, ``max``, ``distribution.kll.buckets`` of
  ``lower_bound`` / ``upper_bound`` / ``count``) or ``string_statistics`` (``common``, ``distinct_count``,
  ``distribution.categorical.buckets`` of ``value`` / ``count``).  The 10 buckets are exact counts over the
  day's rows; no KLL ``sketch`` is written (the guide lets a container omit or replace it).
* constraints: ``version``, ``features[]`` with ``name``, ``inferred_type``, ``completeness``,
  ``num_constraints.is_non_negative``, ``string_constraints.domains``; ``monitoring_config``. Built from the
  baseline's sketch, so every reference (a managed baseline or one built for a single report) has one.
* violations: ``violations[]`` of ``feature_name``, ``constraint_check_type`` and ``description``.

Sensitive features (registry ``sensitive: true``) get no value buckets and no domains: their values are never
written to these files.
"""

from __future__ import annotations

import math
from typing import Any

import polars as pl

from infranaut_pipelines.drift.result import DriftResult, json_safe
from infranaut_pipelines.drift.sketch import BaselineSketch
from infranaut_pipelines.registry.schema import FeatureSpec, ModelSpec

CHECK_TYPES = ("data_type_check", "completeness_check", "baseline_drift_check", "missing_column_check",
               "extra_column_check", "categorical_values_check")
_BUCKETS = 10  # "By default, the distribution is materialized in 10 buckets."
_MAX_DOMAIN = 50  # string domains are written for small cardinality only, as SageMaker's baselining does
_MAX_CATEGORICAL_BUCKETS = 100


def _columns(spec: ModelSpec) -> list[tuple[str, FeatureSpec | None]]:
    """The monitored columns: every feature, then the prediction (Model Monitor profiles both)."""
    return [(f.name, f) for f in spec.features] + [(spec.prediction.column, None)]


def _inferred_type(series: pl.Series) -> str:
    dtype = series.dtype
    if dtype.is_integer():
        return "Integral"
    if dtype.is_float():
        return "Fractional"
    return "String"


def _kll_buckets(values: pl.Series) -> list[dict[str, float]]:
    lo, hi = float(values.min()), float(values.max())  # type: ignore[arg-type]
    width = (hi - lo) / _BUCKETS if hi > lo else 0.0
    if width == 0.0:
        return [{"lower_bound": lo, "upper_bound": hi, "count": float(values.len())}]
    index = ((values.cast(pl.Float64) - lo) / width).floor().clip(0, _BUCKETS - 1).cast(pl.Int64)
    counts = dict(index.value_counts().iter_rows())
    return [{"lower_bound": lo + i * width, "upper_bound": lo + (i + 1) * width, "count": float(counts.get(i, 0))}
            for i in range(_BUCKETS)]


def _feature_statistics(name: str, series: pl.Series, sensitive: bool) -> dict[str, Any]:
    present = series.drop_nulls()
    if series.dtype.is_float():
        present = present.filter(present.is_not_nan())
    common = {"num_present": present.len(), "num_missing": series.len() - present.len()}
    kind = _inferred_type(series)
    if kind != "String":
        stats: dict[str, Any] = {"common": common}
        if present.len():
            std = present.cast(pl.Float64).std(ddof=0)
            stats.update({
                "mean": float(present.mean()),  # type: ignore[arg-type]
                "sum": float(present.sum()),
                "std_dev": float(std) if std is not None and math.isfinite(std) else 0.0,  # type: ignore[arg-type]
                "min": float(present.min()),  # type: ignore[arg-type]
                "max": float(present.max()),  # type: ignore[arg-type]
                "distribution": {"kll": {"buckets": _kll_buckets(present)}},
            })
        return {"name": name, "inferred_type": kind, "numerical_statistics": stats}
    text = present.cast(pl.Utf8)
    stats = {"common": common, "distinct_count": float(text.n_unique())}
    if not sensitive:
        counts = text.value_counts(sort=True).head(_MAX_CATEGORICAL_BUCKETS)
        stats["distribution"] = {"categorical": {"buckets": [
            {"value": str(v), "count": float(n)} for v, n in counts.iter_rows()]}}
    return {"name": name, "inferred_type": "String", "string_statistics": stats}


def statistics(frame: pl.DataFrame, spec: ModelSpec) -> dict[str, Any]:
    """``statistics.json`` of one dataset (a day's validated rows, or a baseline's reference)."""
    features = [
        _feature_statistics(name, frame.get_column(name), bool(f and f.sensitive))
        for name, f in _columns(spec) if name in frame.columns
    ]
    return json_safe({"version": 0, "dataset": {"item_count": frame.height}, "features": features})


def _declared_type(spec: ModelSpec, f: FeatureSpec | None) -> str:
    """The inferred type of a column as the registry types it (what the raw contract coerces it to)."""
    if f is None:
        return "String" if spec.task == "multiclass_classification" else "Fractional"
    return {"int": "Integral", "float": "Fractional"}.get(f.type, "String")


def constraints(sketch: BaselineSketch, spec: ModelSpec) -> dict[str, Any]:
    """``constraints.json`` of a baseline, from its sketch (so any reference Infranaut builds has one).

    Columns are the drift-monitored ones (``drift: false`` features are in no baseline).
    """
    features = []
    for name, f in _columns(spec):
        col = sketch.columns.get(name)
        if col is None or col.error:
            continue
        entry: dict[str, Any] = {"name": name, "inferred_type": _declared_type(spec, f)}
        if col.numeric is not None:
            num = col.numeric
            total = num.n + num.n_null + num.n_nan + num.n_inf
            entry["completeness"] = num.n / total if total else 0.0
            entry["num_constraints"] = {"is_non_negative": bool(num.n == 0 or num.vmin >= 0)}
        elif col.categorical is not None:
            cat = col.categorical
            total = cat.n + cat.n_null
            entry["completeness"] = cat.n / total if total else 0.0
            sensitive = bool(f and f.sensitive)
            domain = (f.values if f and f.values else None) or (
                sorted(cat.counts) if not col.lumped and len(cat.counts) <= _MAX_DOMAIN else None)
            if domain is not None and not sensitive:
                entry["string_constraints"] = {"domains": list(domain)}
        features.append(entry)
    threshold = next((c.threshold for c in spec.drift.columns.values() if c.threshold is not None), None)
    return json_safe({
        "version": 0,
        "features": features,
        "monitoring_config": {
            "evaluate_constraints": "Enabled",
            "emit_metrics": "Enabled",
            "datatype_check_threshold": 1.0,
            "domain_content_threshold": 1.0,
            "distribution_constraints": {
                "perform_comparison": "Enabled",
                # Infranaut's own per-column methods and thresholds decide drift (see drift.md); this records
                # the first registry override, or SageMaker's default, for tools that read the field.
                "comparison_threshold": threshold if threshold is not None else 0.1,
                "comparison_method": "Robust",
            },
        },
    })


def _completeness(series: pl.Series) -> float:
    """Share of present values (a NaN from a float column is missing, as for ``num_missing``)."""
    if series.len() == 0:
        return 0.0
    missing = series.null_count() + (int(series.is_nan().sum()) if series.dtype.is_float() else 0)
    return 1.0 - missing / series.len()


def _g(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.6g}"


def violations(
    frame: pl.DataFrame, spec: ModelSpec, baseline: dict[str, Any], drift: DriftResult | None
) -> dict[str, Any]:
    """``constraint_violations.json`` of a day against a baseline's ``constraints.json`` and the drift result."""
    out: list[dict[str, str]] = []
    expected = {f["name"]: f for f in baseline.get("features", [])}
    sensitive = {f.name for f in spec.features if f.sensitive}

    def add(name: str, check: str, description: str) -> None:
        out.append({"feature_name": name, "constraint_check_type": check, "description": description})

    for name, want in expected.items():
        if name not in frame.columns:
            add(name, "missing_column_check", f"Column {name} is in the baseline but not in the current dataset.")
            continue
        series = frame.get_column(name)
        kind = _inferred_type(series)
        if kind != want.get("inferred_type"):
            add(name, "data_type_check", f"Data type {kind} does not match the baseline's {want.get('inferred_type')}.")
        completeness = _completeness(series)
        if "completeness" in want and completeness < float(want["completeness"]):
            add(name, "completeness_check", f"Completeness {completeness:.4f} is below the baseline's "
                f"{float(want['completeness']):.4f}.")
        domain = (want.get("string_constraints") or {}).get("domains")
        if domain is not None and series.len():
            values = series.drop_nulls().cast(pl.Utf8)
            unknown = values.filter(~values.is_in(list(domain)))
            if unknown.len():
                share = 1.0 - unknown.len() / max(values.len(), 1)
                shown = "" if name in sensitive else \
                    " (e.g. " + ", ".join(repr(v) for v in unknown.unique().sort().head(5).to_list()) + ")"
                add(name, "categorical_values_check", f"{unknown.len()} value(s) outside the baseline domain{shown}; "
                    f"{share:.4f} of values are known, the threshold is "
                    f"{baseline.get('monitoring_config', {}).get('domain_content_threshold', 1.0)}.")
    for name, f in _columns(spec):
        if (f is None or f.drift) and name in frame.columns and name not in expected:
            add(name, "extra_column_check", f"Column {name} is in the current dataset but not in the baseline.")
    if drift is not None:
        scored = list(drift.columns) + ([drift.prediction_drift] if drift.prediction_drift else [])
        seen: set[str] = set()
        for c in scored:
            if c.drifted and c.name not in seen:
                seen.add(c.name)
                add(c.name, "baseline_drift_check", f"Baseline drift distance {_g(c.score)} ({c.method}) exceeds "
                    f"the threshold {_g(c.threshold)}.")
    return {"violations": out}
