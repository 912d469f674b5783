"""Assemble the alert engine's ``Signals`` for one (date, model) from what earlier phases stored (pure).

Everything is read back from warehouse tables (drift, validation, dbt metrics), not passed in memory,
so ``alerts`` can be re-run alone and users can query exactly what the rules saw.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from infranaut_pipelines.alerting import Signals
from infranaut_pipelines.drift.method_registry import lower_is_drift
from infranaut_pipelines.drift.multivariate_result import MultivariateResult
from infranaut_pipelines.drift.performance_result import EstimatedPerformance, PerformanceSignal, RealisedPerformance
from infranaut_pipelines.registry import ModelSpec
from infranaut_pipelines.warehouse import Warehouse


def normalised_score(method: str | None, score: float | None, threshold: float | None) -> float | None:
    """>= 1.0 means over the column's own threshold, whatever the method (p-values invert)."""
    if score is None or threshold is None or threshold <= 0:
        return None
    if lower_is_drift(method):
        return threshold / max(score, 1e-12)
    return score / threshold


def _one(wh: Warehouse, table: str, sql: str, params: dict[str, Any]) -> dict[str, Any] | None:
    if not wh.table_exists(table):
        return None
    df = wh.query(sql, params)
    return df.row(0, named=True) if df.height else None


def build_signals(
    wh: Warehouse,
    spec: ModelSpec,
    day: dt.date,
    now: dt.datetime,
    *,
    importance: dict[str, float] | None = None,
    report_url: str | None = None,
    run_url: str | None = None,
) -> Signals:
    p = {"m": spec.id, "d": day}
    where = "WHERE model_id = :m AND partition_date = :d"
    summary = _one(wh, "drift_summaries", f"SELECT * FROM drift_summaries {where}", p)
    columns = wh.query(f"SELECT * FROM drift_results {where}", p) if wh.table_exists("drift_results") else None
    validation = _one(wh, "validation_results", f"SELECT errors, quality_metrics FROM validation_results {where}", p)
    daily = _one(wh, "daily_model_metrics", f"SELECT latency_p95_ms, error_rate FROM daily_model_metrics {where}", p)

    feature_drift: dict[str, float] = {}
    details: dict[str, dict[str, Any]] = {}
    drifted: list[str] = []
    new_categories: dict[str, list[str]] = {}
    # An empty result can come back untyped (a Null "role" column) when the partition has no drift rows, e.g. a
    # model waiting for its first baseline while other models' rows exist: nothing to read then.
    if columns is not None and columns.height:
        for r in columns.filter(columns["role"] == "feature").iter_rows(named=True):
            norm = normalised_score(r["method"], r["score"], r["threshold"])
            if norm is not None:
                feature_drift[r["column_name"]] = norm
                details[r["column_name"]] = {"score": r["score"], "threshold": r["threshold"], "method": r["method"],
                                             "lower_is_drift": lower_is_drift(r["method"])}
            if r["drifted"]:
                drifted.append(r["column_name"])
            if r.get("new_categories"):
                new_categories[r["column_name"]] = json.loads(r["new_categories"])

    failed_checks: list[dict[str, Any]] = []
    quality = None
    if validation:
        failed_checks = [
            {"name": e["check"], "severity": e["severity"], "description": e.get("description", "")}
            for e in json.loads(validation["errors"] or "[]")
        ]
        quality = json.loads(validation["quality_metrics"] or "{}").get("quality_score")

    seg_drift, seg_perf = _segments(wh, p, where) if spec.segments and summary is not None else (None, None)
    perf = RealisedPerformance.from_dict(_json(summary, "performance"))
    est = EstimatedPerformance.from_dict(_json(summary, "estimated_performance"))
    mv = _json(summary, "multivariate")
    return Signals(
        model_id=spec.id,
        partition_date=day,
        now=now,
        dataset_drift_share=summary["drift_share"] if summary else None,
        dataset_drift=summary["dataset_drift"] if summary else None,
        feature_drift=feature_drift,
        feature_drift_details=details,
        drifted_features=drifted,
        prediction_drift_score=summary.get("prediction_score") if summary else None,
        prediction_drifted=summary.get("prediction_drifted") if summary else None,
        quality_score=quality,
        failed_checks=failed_checks,
        latency_p95_ms=daily["latency_p95_ms"] if daily else None,
        error_rate=daily["error_rate"] if daily else None,
        sla=spec.sla,
        performance=None if perf is None else perf.signal(spec.task),
        estimated_performance=None if est is None else est.signal(),
        multivariate=None if not mv or mv.get("error") else MultivariateResult.from_dict(mv),
        feature_importance=importance or {},
        report_url=report_url,
        run_url=run_url,
        new_categories=new_categories,
        drift_computed=summary is not None,
        segment_feature_drift=seg_drift,
        segment_performance=seg_perf,
    )


def _json(row: dict[str, Any] | None, column: str) -> Any:
    return json.loads(row[column]) if row and row.get(column) else None


def _segments(wh: Warehouse, p: dict[str, Any], where: str) -> tuple[dict[str, float], dict[str, PerformanceSignal]]:
    """What the drift report stored per segment; only scored segments count (too small / no reference do not)."""
    drift: dict[str, float] = {}
    perf: dict[str, PerformanceSignal] = {}
    if not wh.table_exists("segment_results"):
        return drift, perf
    rows = wh.query(f"SELECT segment, status, drifted_json, performance_json FROM segment_results {where}", p)
    for r in rows.iter_rows(named=True):
        if r["status"] != "scored":
            continue
        for feature, score in json.loads(r["drifted_json"] or "{}").items():
            drift[f"{r['segment']}/{feature}"] = float(score)
        signal = PerformanceSignal.of(_json(r, "performance_json"))
        if signal is not None:
            perf[r["segment"]] = signal
    return drift, perf
