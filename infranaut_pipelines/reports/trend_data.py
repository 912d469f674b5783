"""The numbers of a model's trend page, read back from the warehouse tables the earlier phases wrote.

One ``TrendDay`` per calendar day of the window. A day with no row in a table keeps ``None`` for what that
table holds, so a missing partition is a gap on the page, never a zero. Pure: no Dagster.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from infranaut_pipelines.drift.method_registry import lower_is_drift
from infranaut_pipelines.drift.performance_result import PRIMARY_METRIC, EstimatedPerformance, RealisedPerformance
from infranaut_pipelines.warehouse import Warehouse


@dataclass
class FeaturePoint:
    score: float | None
    threshold: float | None
    method: str | None
    drifted: bool
    lower_is_drift: bool  # p-value methods: drift when the score falls *below* the threshold


@dataclass
class TrendDay:
    day: dt.date
    reported: bool = False  # a drift report exists for the day
    drift_share: float | None = None
    dataset_drift: bool | None = None
    n_drifted: int | None = None
    features: dict[str, FeaturePoint] = field(default_factory=dict)
    prediction_score: float | None = None
    prediction_drifted: bool | None = None
    prediction_method: str | None = None
    prediction_threshold: float | None = None
    mv_error: float | None = None
    mv_lower: float | None = None
    mv_upper: float | None = None
    estimated: float | None = None
    estimated_lower: float | None = None
    estimated_upper: float | None = None
    realised_metric: str | None = None
    realised: float | None = None
    realised_lower: float | None = None
    realised_upper: float | None = None
    latency_p95_ms: float | None = None
    error_rate: float | None = None
    quality_score: float | None = None
    baseline_version: str | None = None
    alerts: list[str] = field(default_factory=list)  # rule(subject) of the alerts fired that day

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["day"] = self.day.isoformat()
        return d




def window(end: dt.date, n_days: int) -> list[dt.date]:
    return [end - dt.timedelta(days=n_days - 1 - i) for i in range(n_days)]


def _rows(wh: Warehouse, table: str, columns: str, model_id: str, days: list[dt.date]) -> list[dict[str, Any]]:
    if not wh.table_exists(table):
        return []
    sql = (f"SELECT {columns} FROM {table} WHERE model_id = :m AND partition_date >= :a AND partition_date <= :b")
    return list(wh.query(sql, {"m": model_id, "a": days[0], "b": days[-1]}).iter_rows(named=True))


def _as_date(v: Any) -> dt.date:
    return v.date() if isinstance(v, dt.datetime) else (dt.date.fromisoformat(v) if isinstance(v, str) else v)


def _json(v: Any) -> dict[str, Any] | None:
    if not v:
        return None
    try:
        out = json.loads(v)
    except (TypeError, ValueError):
        return None  # a damaged cell is a gap on the page, not a failed trend
    return out if isinstance(out, dict) else None


def load_trend(wh: Warehouse, model_id: str, task: str, end: dt.date, n_days: int) -> list[TrendDay]:
    """Every day of ``[end - n_days + 1, end]`` for ``model_id``, oldest first."""
    days = window(end, n_days)
    out = {d: TrendDay(day=d) for d in days}
    for r in _rows(wh, "drift_summaries", "*", model_id, days):
        t = out.get(_as_date(r["partition_date"]))
        if t is None:
            continue
        t.reported, t.drift_share, t.dataset_drift = True, r["drift_share"], r["dataset_drift"]
        t.n_drifted, t.baseline_version = r["n_drifted"], r.get("baseline_version")
        t.prediction_score, t.prediction_drifted = r.get("prediction_score"), r.get("prediction_drifted")
        mv = _json(r.get("multivariate"))
        if mv and not mv.get("error"):
            t.mv_error, t.mv_lower, t.mv_upper = mv.get("current_error"), mv.get("lower"), mv.get("upper")
        est = EstimatedPerformance.from_dict(_json(r.get("estimated_performance")))
        if est is not None and not est.error:
            t.estimated = est.estimated
            t.estimated_lower, t.estimated_upper = (est.band.lower, est.band.upper) if est.band else (None, None)
        perf = RealisedPerformance.from_dict(_json(r.get("performance")))
        metric = PRIMARY_METRIC.get(task)
        m = perf.metrics.get(metric) if perf is not None and metric and not perf.error else None
        if m:
            t.realised_metric, t.realised = metric, m.current
            t.realised_lower, t.realised_upper = (m.band.lower, m.band.upper) if m.band else (None, None)
    cols = "partition_date, column_name, role, method, score, threshold, drifted"
    for r in _rows(wh, "drift_results", cols, model_id, days):
        t = out.get(_as_date(r["partition_date"]))
        if t is None:
            continue
        if r["role"] == "prediction":
            t.prediction_method, t.prediction_threshold = r["method"], r["threshold"]
        elif r["role"] == "feature":
            t.features[r["column_name"]] = FeaturePoint(r["score"], r["threshold"], r["method"], bool(r["drifted"]),
                                                        lower_is_drift(r["method"]))
    for r in _rows(wh, "daily_model_metrics", "partition_date, latency_p95_ms, error_rate", model_id, days):
        t = out.get(_as_date(r["partition_date"]))
        if t is not None:
            t.latency_p95_ms, t.error_rate = r["latency_p95_ms"], r["error_rate"]
    for r in _rows(wh, "validation_results", "partition_date, quality_metrics", model_id, days):
        t = out.get(_as_date(r["partition_date"]))
        if t is not None:
            t.quality_score = (_json(r["quality_metrics"]) or {}).get("quality_score")
    for r in _rows(wh, "alert_events", "partition_date, rule, subject, result", model_id, days):
        t = out.get(_as_date(r["partition_date"]))
        if t is not None and r["result"] == "fired":
            t.alerts.append(f"{r['rule']}({r['subject']})" if r["subject"] else str(r["rule"]))
    for t in out.values():
        t.alerts.sort()
    return [out[d] for d in days]
