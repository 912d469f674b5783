"""Drift and performance per segment (one country, one plan, one bucket of spend), against the same segment
of the reference (pure).

The reference is sketched per segment once, with the same methods and settings as the whole, so a segment's
verdict means what the model's verdict means. A segment too small that day is reported as such, not scored; a
value the reference never had is reported as having no reference. Results are sorted worst first.
"""

from __future__ import annotations

import base64
import json
from dataclasses import asdict, dataclass, field

import numpy as np
import polars as pl

from infranaut_pipelines.drift import BaselineSketch, build_sketch, compare
from infranaut_pipelines.drift.performance_result import PerformanceSignal
from infranaut_pipelines.monitoring.specs import drift_columns, drift_settings
from infranaut_pipelines.registry import ModelSpec
from infranaut_pipelines.registry.segments import SegmentSpec

MISSING = "(missing)"


def _bucket_label(edges: list[float], i: int) -> str:
    if i == 0:
        return f"< {edges[0]:g}"
    if i == len(edges):
        return f">= {edges[-1]:g}"
    return f"[{edges[i - 1]:g}, {edges[i]:g})"


def segment_labels(frame: pl.DataFrame, seg: SegmentSpec) -> pl.Series:
    """Each row's segment value as text: the category, or the bucket ``[a, b)`` its number falls in."""
    col = frame.get_column(seg.column)
    if seg.buckets is None:
        return col.cast(pl.Utf8).fill_null(MISSING)
    edges = list(seg.buckets)
    labels = np.array([_bucket_label(edges, i) for i in range(len(edges) + 1)], dtype=object)
    values = col.cast(pl.Float64).to_numpy()
    # Left-closed buckets [a, b): the number of edges <= x is the bucket's index.
    out = labels[np.searchsorted(np.asarray(edges), np.nan_to_num(values, nan=-np.inf), side="right")]
    out[np.isnan(values)] = MISSING
    return pl.Series(seg.column, out.tolist(), dtype=pl.Utf8)


def key(seg: SegmentSpec, value: str) -> str:
    """How a segment is named everywhere (report, warehouse, alert subjects): ``column=value``."""
    return f"{seg.column}={value}"


@dataclass
class SegmentSketches:
    """Per segment column: {value: sketch}; ``left_out``: values beyond ``max_values`` not monitored."""

    sketches: dict[str, dict[str, BaselineSketch]] = field(default_factory=dict)
    left_out: dict[str, int] = field(default_factory=dict)

    def to_bytes(self) -> bytes:
        return json.dumps({
            # A sketch's bytes are compressed: base64 keeps them in one JSON document.
            "sketches": {c: {v: base64.b64encode(s.to_bytes()).decode() for v, s in per.items()}
                         for c, per in self.sketches.items()},
            "left_out": self.left_out,
        }, sort_keys=True).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> "SegmentSketches":
        raw = json.loads(data)
        return cls({c: {v: BaselineSketch.from_bytes(base64.b64decode(s)) for v, s in per.items()}
                    for c, per in raw["sketches"].items()}, dict(raw.get("left_out", {})))


def build_segment_sketches(spec: ModelSpec, reference: pl.DataFrame, labels: pl.Series | None) -> SegmentSketches:
    out = SegmentSketches()
    for seg in spec.segments:
        values = segment_labels(reference, seg)
        counts = values.value_counts(sort=True)
        big = [v for v, n in counts.iter_rows() if n >= seg.min_rows]
        kept, out.left_out[seg.column] = big[: seg.max_values], max(0, len(big) - seg.max_values)
        per: dict[str, BaselineSketch] = {}
        for value in kept:
            mask = values == value
            sub_labels = labels.filter(mask) if labels is not None else None
            if sub_labels is not None and int(sub_labels.is_not_null().sum()) < 2 * drift_settings(spec).chunks:
                sub_labels = None  # too few labels for the segment's performance band: drift only
            sub = reference.filter(mask)
            per[value] = build_sketch(sub, drift_columns(spec), drift_settings(spec), labels=sub_labels,
                                      prediction=sub.get_column(spec.prediction.column))
        out.sketches[seg.column] = per
    return out


@dataclass
class SegmentResult:
    segment: str  # column=value
    column: str
    value: str
    rows: int
    status: str  # "scored" | "too small" | "no reference"
    drift_share: float | None = None
    dataset_drift: bool | None = None
    # feature -> normalised score (>= 1 means over its threshold) for the drifted features
    drifted: dict[str, float] = field(default_factory=dict)
    performance: PerformanceSignal | None = None
    estimated_performance: PerformanceSignal | None = None
    # SLA within the segment (None when the day's frame has no latency/status columns)
    latency_p95_ms: float | None = None
    error_rate: float | None = None

    def to_dict(self) -> dict:
        out = asdict(self)
        for name in ("performance", "estimated_performance"):
            signal = getattr(self, name)
            out[name] = None if signal is None else signal.to_dict()
        return out


def compare_segments(spec: ModelSpec, sketches: SegmentSketches, current: pl.DataFrame,
                     labels: pl.Series | None) -> list[SegmentResult]:
    from infranaut_pipelines.monitoring.signals import normalised_score

    results: list[SegmentResult] = []
    for seg in spec.segments:
        values = segment_labels(current, seg)
        per = sketches.sketches.get(seg.column, {})
        for value, n in values.value_counts(sort=True).iter_rows():
            base = SegmentResult(key(seg, value), seg.column, value, int(n), "scored")
            base.latency_p95_ms, base.error_rate = _sla(current.filter(values == value))
            if n < seg.min_rows:
                base.status = "too small"
            elif value not in per:
                base.status = "no reference"
            else:
                mask = values == value
                result = compare(per[value], current.filter(mask), drift_columns(spec), drift_settings(spec),
                                 labels=labels.filter(mask) if labels is not None else None)
                base.drift_share, base.dataset_drift = float(result.drift_share), bool(result.dataset_drift)
                for c in result.columns:
                    if c.drifted and c.role == "feature":
                        base.drifted[c.name] = normalised_score(c.method, c.score, c.threshold) or 1.0
                base.performance = None if result.performance is None else result.performance.signal(spec.task)
                base.estimated_performance = (None if result.estimated_performance is None
                                              else result.estimated_performance.signal())
            results.append(base)
    return sorted(results, key=lambda r: (r.status != "scored", -(r.drift_share or 0.0), -len(r.drifted), r.segment))


def _sla(frame: pl.DataFrame) -> tuple[float | None, float | None]:
    """p95 latency and error rate of a segment's rows, as the dbt daily metrics compute them for the model."""
    latency = error = None
    if "latency_ms" in frame.columns and frame.height:
        p95 = frame.get_column("latency_ms").cast(pl.Float64).quantile(0.95, interpolation="linear")
        latency = None if p95 is None else float(p95)
    if "status" in frame.columns and frame.height:
        error = float((frame.get_column("status") == "error").mean() or 0.0)
    return latency, error


def carriers(results: list[SegmentResult], feature: str) -> list[str]:
    """The segments in which ``feature`` drifted: the root-cause hint "carried by country=DE"."""
    return [r.segment for r in results if feature in r.drifted]


def segment_rows(results: list[SegmentResult], model_id: str, day) -> pl.DataFrame:  # type: ignore[no-untyped-def]
    """Warehouse rows (table ``segment_results``): one per segment seen that day."""
    return pl.DataFrame({
        "model_id": [model_id] * len(results),
        "partition_date": [day] * len(results),
        "segment": [r.segment for r in results],
        "segment_column": [r.column for r in results],
        "segment_value": [r.value for r in results],
        "rows": [r.rows for r in results],
        "status": [r.status for r in results],
        "drift_share": [r.drift_share for r in results],
        "dataset_drift": [r.dataset_drift for r in results],
        "drifted_json": [json.dumps(r.drifted, sort_keys=True) for r in results],
        "performance_json": [json.dumps(r.performance.to_dict()) if r.performance else None for r in results],
        "estimated_json": [json.dumps(r.estimated_performance.to_dict()) if r.estimated_performance else None
                           for r in results],
        "latency_p95_ms": [r.latency_p95_ms for r in results],
        "error_rate": [r.error_rate for r in results],
    }, schema_overrides={"drift_share": pl.Float64, "dataset_drift": pl.Boolean, "performance_json": pl.Utf8,
                         "estimated_json": pl.Utf8, "latency_p95_ms": pl.Float64, "error_rate": pl.Float64,
                         "rows": pl.Int64})
