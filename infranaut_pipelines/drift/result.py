"""What ``compare`` returns; JSON-safe on demand (no NaN/inf)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import polars as pl

from infranaut_pipelines.drift.multivariate_result import MultivariateResult
from infranaut_pipelines.drift.performance_result import EstimatedPerformance, RealisedPerformance


def json_safe(x: Any) -> Any:
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {str(k): json_safe(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [json_safe(v) for v in x]
    if hasattr(x, "item") and callable(x.item):  # numpy scalars
        return json_safe(x.item())
    return x


@dataclass
class ColumnDrift:
    name: str
    kind: str
    role: str
    method: str | None
    score: float | None
    threshold: float | None
    drifted: bool
    error: str | None = None
    stats: dict = field(default_factory=dict)
    # "scored", "too few rows" (not scored, not drifted, out of the drift share) or "error"
    status: str = "scored"

    def to_dict(self) -> dict:
        return json_safe(asdict(self))


@dataclass
class DriftResult:
    columns: list[ColumnDrift]
    dataset_drift: bool
    drift_share: float
    n_drifted: int
    n_reference: int
    n_current: int
    drift_share_threshold: float
    sketch_version: str
    prediction_drift: ColumnDrift | None = None
    multivariate: MultivariateResult | None = None
    performance: RealisedPerformance | None = None
    estimated_performance: EstimatedPerformance | None = None
    n_too_few_rows: int = 0  # feature columns not scored for lack of rows (outside the share's denominator)
    evidently_compatible: bool = False

    @property
    def features(self) -> list[ColumnDrift]:
        return [c for c in self.columns if c.role == "feature"]

    def column(self, name: str) -> ColumnDrift:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def to_dict(self) -> dict:
        return json_safe({
            "dataset_drift": self.dataset_drift, "drift_share": self.drift_share, "n_drifted": self.n_drifted,
            "n_reference": self.n_reference, "n_current": self.n_current,
            "drift_share_threshold": self.drift_share_threshold, "sketch_version": self.sketch_version,
            "columns": [c.to_dict() for c in self.columns],
            "prediction_drift": None if self.prediction_drift is None else self.prediction_drift.to_dict(),
            "multivariate": None if self.multivariate is None else self.multivariate.to_dict(),
            "performance": None if self.performance is None else self.performance.to_dict(),
            "estimated_performance": None if self.estimated_performance is None
            else self.estimated_performance.to_dict(),
            "n_too_few_rows": self.n_too_few_rows,
            "evidently_compatible": self.evidently_compatible,
        })

    def to_frame(self) -> pl.DataFrame:
        rows = [{
            "column": c.name, "kind": c.kind, "role": c.role, "method": c.method,
            "score": c.score if c.score is not None and math.isfinite(c.score) else None,
            "threshold": c.threshold, "drifted": c.drifted, "error": c.error, "status": c.status,
            "ref_mean": json_safe(c.stats.get("ref_mean")), "cur_mean": json_safe(c.stats.get("cur_mean")),
            "cur_null_share": json_safe(c.stats.get("cur_null_share")),
        } for c in self.columns]
        schema = {"column": pl.String, "kind": pl.String, "role": pl.String, "method": pl.String,
                  "score": pl.Float64, "threshold": pl.Float64, "drifted": pl.Boolean, "error": pl.String,
                  "status": pl.String,
                  "ref_mean": pl.Float64, "cur_mean": pl.Float64, "cur_null_share": pl.Float64}
        return pl.DataFrame(rows, schema=schema)
