"""What the ``alerts`` asset measured for one (date, model) partition: the input of rule evaluation.

A plain dataclass (no dagster, no pandas) so rules can be evaluated and tested without running the graph.
``None`` means "not measured in this partition" (e.g. labels have not arrived yet); a rule whose metric is
``None`` is *not evaluable*, which matters: a not-evaluable rule must not resolve an open alert.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Mapping

# Metrics where a lower value is better; a performance "drop" for them is an increase.
LOWER_IS_BETTER = {"rmse", "mse", "mae", "mape", "smape", "log_loss", "logloss", "brier", "brier_score", "error"}


@dataclass(frozen=True)
class SlaValues:
    """The SLA limits in force for the partition (the registry's ``SlaSpec`` or the same values)."""

    latency_p95_ms: float | None = None
    error_rate: float | None = None

    @classmethod
    def of(cls, value: Any) -> "SlaValues":
        if value is None:
            return cls()
        if isinstance(value, SlaValues):
            return value
        if isinstance(value, Mapping):
            return cls(value.get("latency_p95_ms"), value.get("error_rate"))
        return cls(getattr(value, "latency_p95_ms", None), getattr(value, "error_rate", None))


@dataclass
class Signals:
    model_id: str
    partition_date: dt.date
    now: dt.datetime
    dataset_drift_share: float | None = None
    dataset_drift: bool | None = None
    # Normalised per-feature score: >= 1.0 means over that feature's own threshold, whatever the method.
    feature_drift: dict[str, float] = field(default_factory=dict)
    # Raw numbers behind ``feature_drift``: {feature: {"score": .., "threshold": .., "method": ..}}.
    feature_drift_details: dict[str, dict[str, Any]] = field(default_factory=dict)
    drifted_features: list[str] = field(default_factory=list)
    prediction_drift_score: float | None = None
    prediction_drifted: bool | None = None
    quality_score: float | None = None
    # [{"name": .., "severity": .., "description": ..}]
    failed_checks: list[dict[str, Any]] = field(default_factory=list)
    latency_p95_ms: float | None = None
    error_rate: float | None = None
    sla: Any = None
    # {"metric": "auc", "value": 0.81, "baseline": 0.9, optional "higher_is_better": bool,
    #  optional "band": {"lower": .., "upper": .., "mean": ..}} (the reference chunks' mean +/- 3 sd)
    performance: dict[str, Any] | None = None
    estimated_performance: dict[str, Any] | None = None
    # {"current_error": .., "lower": .., "upper": .., "drifted": bool} (PCA reconstruction error and its band)
    multivariate: dict[str, Any] | None = None
    last_drop_at: dt.datetime | None = None
    feature_importance: dict[str, float] = field(default_factory=dict)
    report_url: str | None = None
    run_url: str | None = None
    new_categories: dict[str, list[str]] = field(default_factory=dict)
    # True when drift was actually computed for this partition, even if no feature is listed
    # (an empty ``feature_drift`` otherwise means "not computed" and cannot resolve feature alerts).
    drift_computed: bool | None = None
    # Segments (registry `segments`): {"country=DE/amount": normalised score} for features drifted within a
    # segment, and {"country=DE": {"metric", "value", "baseline", "band"}}; None = segments not computed.
    segment_feature_drift: dict[str, float] | None = None
    segment_performance: dict[str, dict[str, Any]] | None = None

    def __post_init__(self) -> None:
        self.sla = SlaValues.of(self.sla)
        if isinstance(self.partition_date, dt.datetime):
            self.partition_date = self.partition_date.date()
        elif isinstance(self.partition_date, str):
            self.partition_date = dt.date.fromisoformat(self.partition_date)

    @property
    def feature_drift_evaluable(self) -> bool:
        if self.drift_computed is not None:
            return self.drift_computed
        return bool(self.feature_drift) or self.dataset_drift_share is not None


def higher_is_better(perf: Mapping[str, Any]) -> bool:
    higher = perf.get("higher_is_better")
    if higher is None:
        higher = str(perf.get("metric", "")).lower() not in LOWER_IS_BETTER
    return bool(higher)


def outside_band(perf: Mapping[str, Any] | None) -> tuple[bool, float] | None:
    """(worse than the band?, the band edge it is compared with); None when there is no value or band."""
    if not perf or perf.get("value") is None or not perf.get("band"):
        return None
    band, value = perf["band"], float(perf["value"])
    if higher_is_better(perf):
        return value < float(band["lower"]), float(band["lower"])
    return value > float(band["upper"]), float(band["upper"])


def relative_drop(perf: Mapping[str, Any] | None) -> float | None:
    """Relative degradation versus the baseline (0.1 = 10% worse), direction-aware; None if unknown."""
    if not perf:
        return None
    value, baseline = perf.get("value"), perf.get("baseline")
    if value is None or baseline is None or baseline == 0:
        return None
    diff = (float(baseline) - float(value)) if higher_is_better(perf) else (float(value) - float(baseline))
    return diff / abs(float(baseline))
