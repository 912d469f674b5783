"""Realised and estimated performance as typed records (NannyML's results are classes, not dicts).

Three shapes, each with ``to_dict`` (the JSON the reports, ``drift_summaries`` and ``segment_results`` have always
stored) and ``from_dict`` (which reads rows written before a field existed):

- ``RealisedPerformance``: every metric of the task on the labelled rows, each against its reference band;
- ``EstimatedPerformance``: the label-free accuracy estimate (CBPE-like) against its band;
- ``PerformanceSignal``: what the alert rules look at, one metric's value vs its baseline (and band). Both results
  reduce to it with ``signal()``; the rules, the segment table and the trend page read it, not dict keys.

The metric directions and each task's headline metric are declared here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

# The metric each task is judged by when one number has to stand for the model (alerts, trend, segments).
PRIMARY_METRIC = {"binary_classification": "auc", "multiclass_classification": "accuracy", "regression": "mae"}

# Metrics where a lower value is better: a performance "drop" for them is an increase. Names beyond what the
# engine computes are here because a signal may come from a team's own metric (tests, custom rules).
LOWER_IS_BETTER = frozenset({"rmse", "mse", "mae", "mape", "smape", "log_loss", "logloss", "brier", "brier_score",
                             "error"})


def higher_is_better(metric: str) -> bool:
    return str(metric).lower() not in LOWER_IS_BETTER


@dataclass(frozen=True)
class Band:
    """A reference band: the mean of the reference chunks' values +/- 3 standard deviations."""

    lower: float
    upper: float
    mean: float | None = None

    def to_dict(self) -> dict[str, float | None]:
        return {"mean": self.mean, "lower": self.lower, "upper": self.upper}

    @classmethod
    def of(cls, value: "Band | Mapping[str, Any] | None") -> "Band | None":
        if value is None or isinstance(value, Band):
            return value
        if value.get("lower") is None or value.get("upper") is None:
            return None
        mean = value.get("mean")
        return cls(float(value["lower"]), float(value["upper"]), None if mean is None else float(mean))


@dataclass(frozen=True)
class PerformanceSignal:
    """One metric's current value against its baseline: what the performance rules evaluate."""

    metric: str
    value: float | None
    baseline: float | None
    band: Band | None = None
    higher_is_better: bool | None = None  # None: from the metric's name (LOWER_IS_BETTER)

    @property
    def better_when_higher(self) -> bool:
        return higher_is_better(self.metric) if self.higher_is_better is None else bool(self.higher_is_better)

    def relative_drop(self) -> float | None:
        """Relative degradation versus the baseline (0.1 = 10% worse), direction-aware; None if unknown."""
        if self.value is None or self.baseline is None or self.baseline == 0:
            return None
        v, b = float(self.value), float(self.baseline)
        return ((b - v) if self.better_when_higher else (v - b)) / abs(b)

    def outside_band(self) -> tuple[bool, float] | None:
        """(worse than the band?, the band edge it is compared with); None when there is no value or band."""
        if self.value is None or self.band is None:
            return None
        if self.better_when_higher:
            return float(self.value) < self.band.lower, self.band.lower
        return float(self.value) > self.band.upper, self.band.upper

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"metric": self.metric, "value": self.value, "baseline": self.baseline,
                               "band": None if self.band is None else self.band.to_dict()}
        if self.higher_is_better is not None:
            out["higher_is_better"] = self.higher_is_better
        return out

    @classmethod
    def of(cls, value: "PerformanceSignal | Mapping[str, Any] | None") -> "PerformanceSignal | None":
        """A signal from itself, a stored/hand-written dict (``metric``, ``value``, ``baseline``...) or None."""
        if value is None or isinstance(value, PerformanceSignal):
            return value
        return cls(str(value.get("metric", "performance")), value.get("value"), value.get("baseline"),
                   Band.of(value.get("band")), value.get("higher_is_better"))


@dataclass
class MetricComparison:
    reference: float | None
    current: float | None
    band: Band | None
    degraded: bool

    def to_dict(self) -> dict[str, Any]:
        return {"reference": self.reference, "current": self.current,
                "band": None if self.band is None else self.band.to_dict(), "degraded": self.degraded}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "MetricComparison":
        return cls(d.get("reference"), d.get("current"), Band.of(d.get("band")), bool(d.get("degraded", False)))


@dataclass
class RealisedPerformance:
    """The task's metrics on the current labelled rows, each judged against its reference band."""

    task: str | None
    n_labelled: int = 0
    metrics: dict[str, MetricComparison] = field(default_factory=dict)
    degraded: bool = False
    error: str | None = None  # why nothing was measured (no labelled rows, labels misaligned...)

    def signal(self, task: str | None = None) -> PerformanceSignal | None:
        """The headline metric of ``task`` (default: the result's own) as a signal; None when unmeasured."""
        name = PRIMARY_METRIC.get(task or self.task or "")
        m = self.metrics.get(name) if name and not self.error else None
        if m is None or m.current is None or m.reference is None:
            return None
        return PerformanceSignal(name, m.current, m.reference, m.band)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"task": self.task, "n_labelled": self.n_labelled,
                               "metrics": {k: m.to_dict() for k, m in self.metrics.items()}, "degraded": self.degraded}
        if self.error is not None:
            out["error"] = self.error
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> "RealisedPerformance | None":
        if not d:
            return None
        return cls(d.get("task"), int(d.get("n_labelled") or 0),
                   {k: MetricComparison.from_dict(m) for k, m in (d.get("metrics") or {}).items()},
                   bool(d.get("degraded", False)), d.get("error"))


@dataclass
class EstimatedPerformance:
    """The label-free accuracy estimate of a binary classifier (confidence-based, CBPE-like)."""

    reference_actual: float | None
    reference_estimated: float | None
    band: Band | None
    n: int = 0
    estimated: float | None = None
    degraded: bool = False
    metric: str = "accuracy"
    method: str = "confidence-based (CBPE-like)"
    error: str | None = None

    def signal(self) -> PerformanceSignal | None:
        if self.error or self.estimated is None or self.reference_estimated is None:
            return None
        return PerformanceSignal(self.metric, self.estimated, self.reference_estimated, self.band)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"metric": self.metric, "method": self.method, "n": self.n,
                               "reference_actual": self.reference_actual,
                               "reference_estimated": self.reference_estimated,
                               "band": None if self.band is None else self.band.to_dict(),
                               "estimated": self.estimated, "degraded": self.degraded}
        if self.error is not None:
            out["error"] = self.error
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> "EstimatedPerformance | None":
        if not d:
            return None
        return cls(d.get("reference_actual"), d.get("reference_estimated"), Band.of(d.get("band")),
                   int(d.get("n") or 0), d.get("estimated"), bool(d.get("degraded", False)),
                   d.get("metric", "accuracy"), d.get("method", "confidence-based (CBPE-like)"), d.get("error"))
