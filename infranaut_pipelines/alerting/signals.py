"""What the ``alerts`` asset measured for one (date, model) partition: the input of rule evaluation.

A plain dataclass (no dagster, no pandas) so rules can be evaluated and tested without running the graph.
``None`` means "not measured in this partition" (e.g. labels have not arrived yet); a rule whose metric is
``None`` is *not evaluable*, which matters: a not-evaluable rule must not resolve an open alert.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Mapping

from infranaut_pipelines.drift.multivariate_result import MultivariateResult
from infranaut_pipelines.drift.performance_result import PerformanceSignal


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
    # One metric vs its baseline (and reference band); dicts ({"metric", "value", "baseline", "band",
    # optional "higher_is_better"}) are accepted and typed on construction.
    performance: PerformanceSignal | None = None
    estimated_performance: PerformanceSignal | None = None
    # The PCA reconstruction error and its band (a stored result, or a dict of its fields).
    multivariate: MultivariateResult | None = None
    last_drop_at: dt.datetime | None = None
    feature_importance: dict[str, float] = field(default_factory=dict)
    report_url: str | None = None
    run_url: str | None = None
    new_categories: dict[str, list[str]] = field(default_factory=dict)
    # True when drift was actually computed for this partition, even if no feature is listed
    # (an empty ``feature_drift`` otherwise means "not computed" and cannot resolve feature alerts).
    drift_computed: bool | None = None
    # Segments (registry `segments`): {"country=DE/amount": normalised score} for features drifted within a
    # segment, and {"country=DE": PerformanceSignal}; None = segments not computed.
    segment_feature_drift: dict[str, float] | None = None
    segment_performance: dict[str, PerformanceSignal] | None = None

    def __post_init__(self) -> None:
        self.sla = SlaValues.of(self.sla)
        self.performance = PerformanceSignal.of(self.performance)
        self.estimated_performance = PerformanceSignal.of(self.estimated_performance)
        if isinstance(self.multivariate, dict):
            self.multivariate = MultivariateResult.from_dict(self.multivariate)
        if self.segment_performance is not None:
            self.segment_performance = {k: v for k, v in ((k, PerformanceSignal.of(v))
                                                          for k, v in self.segment_performance.items()) if v}
        if isinstance(self.partition_date, dt.datetime):
            self.partition_date = self.partition_date.date()
        elif isinstance(self.partition_date, str):
            self.partition_date = dt.date.fromisoformat(self.partition_date)

    @property
    def feature_drift_evaluable(self) -> bool:
        if self.drift_computed is not None:
            return self.drift_computed
        return bool(self.feature_drift) or self.dataset_drift_share is not None
