"""A model's trend page over the last N days: HTML (inline SVG), JSON and CSV. Pure; no Dagster.

Every value comes from ``TrendDay`` records; a day without data is a gap in the charts and an empty cell
in the CSV (``null`` in the JSON), never a zero.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from infranaut_pipelines.drift.result import json_safe
from infranaut_pipelines.reports.render import template
from infranaut_pipelines.reports.trend_charts import Series, line_chart
from infranaut_pipelines.reports.trend_data import TrendDay


@dataclass(frozen=True)
class TrendContext:
    model_id: str
    task: str
    drift_share_threshold: float
    sla_latency_p95_ms: float | None = None
    sla_error_rate: float | None = None
    extra: Mapping[str, str] = field(default_factory=dict)  # shown as-is (escaped): run link, baseline, ...


def _last(values: Sequence[float | None]) -> float | None:
    return next((v for v in reversed(values) if v is not None), None)


def summary(days: Sequence[TrendDay]) -> dict[str, Any]:
    """The key numbers (also the asset's numeric metadata, so Dagster plots them over partitions)."""
    reported = [d for d in days if d.reported]
    shares = [d.drift_share for d in reported if d.drift_share is not None]
    last = reported[-1] if reported else None
    return {
        "days": len(days),
        "days_reported": len(reported),
        "days_missing": len(days) - len(reported),
        "days_dataset_drift": sum(1 for d in reported if d.dataset_drift),
        "days_with_alerts": sum(1 for d in days if d.alerts),
        "alerts_fired": sum(len(d.alerts) for d in days),
        "mean_drift_share": (sum(shares) / len(shares)) if shares else None,
        "max_drift_share": max(shares) if shares else None,
        "last_drift_share": last.drift_share if last else None,
        "last_quality_score": _last([d.quality_score for d in days]),
        "last_latency_p95_ms": _last([d.latency_p95_ms for d in days]),
        "last_error_rate": _last([d.error_rate for d in days]),
    }


def feature_names(days: Sequence[TrendDay]) -> list[str]:
    seen: dict[str, None] = {}
    for d in days:
        for name in d.features:
            seen.setdefault(name, None)
    return list(seen)


def sections(days: Sequence[TrendDay], ctx: TrendContext) -> list[dict[str, Any]]:
    """The page's sections, each with a title, a note and one or more charts (shared by HTML and PDF)."""
    dates = [d.day for d in days]
    alerts = [bool(d.alerts) for d in days]
    out: list[dict[str, Any]] = []

    def add(title: str, note: str, charts: list[Markup], key: str) -> None:
        out.append({"title": title, "note": note, "charts": charts, "key": key})

    add("Dataset drift share", "share of features that drifted each day; the dashed line is the dataset-drift share",
        [line_chart("Dataset drift share", dates, [Series("drift share", [d.drift_share for d in days])],
                    threshold=ctx.drift_share_threshold, threshold_label="dataset threshold", alert_days=alerts)],
        "drift_share")
    charts = []
    for name in feature_names(days):
        points = [d.features.get(name) for d in days]
        thr = _last([p.threshold if p else None for p in points])
        method = next((p.method for p in reversed(points) if p and p.method), "") or ""
        lower = any(p.lower_is_drift for p in points if p)
        label = f"{name}: {method} score" + (" (drift below the line)" if lower else " (drift above the line)")
        charts.append(line_chart(label, dates, [Series(f"{name} ({method})", [p.score if p else None for p in points])],
                                 threshold=thr, alert_days=alerts))
    add("Feature drift scores", "each feature's score against its own threshold", charts, "features")
    pred_thr = _last([d.prediction_threshold for d in days])
    add("Prediction drift", "drift score of the model's output", [line_chart(
        "Prediction drift", dates, [Series("prediction score", [d.prediction_score for d in days])],
        threshold=pred_thr, alert_days=alerts)], "prediction")
    add("Multivariate drift", "PCA reconstruction error of the day against the reference band", [line_chart(
        "Multivariate reconstruction error", dates,
        [Series("reconstruction error", [d.mv_error for d in days], [(d.mv_lower, d.mv_upper) for d in days])],
        alert_days=alerts)], "multivariate")
    metric = next((d.realised_metric for d in days if d.realised_metric), None)
    add("Performance", "estimated accuracy before labels, and realised performance once labels arrived, each "
        "against its reference band", [
            line_chart("Estimated accuracy", dates, [Series("estimated accuracy", [d.estimated for d in days],
                       [(d.estimated_lower, d.estimated_upper) for d in days])], alert_days=alerts),
            line_chart(f"Realised {metric or 'performance'}", dates, [Series(
                f"realised {metric or 'performance'}", [d.realised for d in days],
                [(d.realised_lower, d.realised_upper) for d in days])], alert_days=alerts)], "performance")
    add("SLA", "latency p95 and error rate against the model's SLA", [
        line_chart("Latency p95 (ms)", dates, [Series("latency p95 ms", [d.latency_p95_ms for d in days])],
                   threshold=ctx.sla_latency_p95_ms, threshold_label="SLA", alert_days=alerts),
        line_chart("Error rate", dates, [Series("error rate", [d.error_rate for d in days])],
                   threshold=ctx.sla_error_rate, threshold_label="SLA", alert_days=alerts)], "sla")
    add("Data quality", "quality score of the validated rows (0-1)", [line_chart(
        "Quality score", dates, [Series("quality score", [d.quality_score for d in days])], alert_days=alerts)],
        "quality")
    return out


def render_trend_html(days: Sequence[TrendDay], ctx: TrendContext, hrefs: Mapping[str, str] | None = None) -> str:
    """``hrefs``: day (ISO) -> link to that day's drift report (relative or presigned)."""
    title = f"Trend: {ctx.model_id}, {days[0].day.isoformat()} .. {days[-1].day.isoformat()}"
    return template("trend.html.j2").render(
        title=title, ctx=ctx, days=days, hrefs=hrefs or {}, summary=json_safe(summary(days)),
        sections=sections(days, ctx))


def render_trend_json(days: Sequence[TrendDay], ctx: TrendContext, hrefs: Mapping[str, str] | None = None) -> str:
    hrefs = hrefs or {}
    return json.dumps(json_safe({
        "model_id": ctx.model_id, "task": ctx.task, "start": days[0].day.isoformat(), "end": days[-1].day.isoformat(),
        "summary": summary(days),
        "days": [{**d.to_dict(), "report": hrefs.get(d.day.isoformat())} for d in days],
    }), indent=2, allow_nan=False, default=str)


CSV_COLUMNS = ["day", "reported", "drift_share", "dataset_drift", "n_drifted", "prediction_score", "prediction_drifted",
               "mv_error", "mv_lower", "mv_upper", "estimated", "estimated_lower", "estimated_upper", "realised_metric",
               "realised", "realised_lower", "realised_upper", "latency_p95_ms", "error_rate", "quality_score",
               "baseline_version"]


def render_trend_csv(days: Sequence[TrendDay]) -> str:
    """One row per day; features as ``<name>_score`` / ``<name>_drifted``; empty cells where there is no data."""
    names = feature_names(days)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([*CSV_COLUMNS, *[f"{n}_{k}" for n in names for k in ("score", "threshold", "drifted")], "alerts"])

    def cell(v: Any) -> str:
        v = json_safe(v)
        return "" if v is None else (str(v).lower() if isinstance(v, bool) else str(v))

    for d in days:
        row = d.to_dict()
        feats = [[cell(f.score), cell(f.threshold), cell(f.drifted)] if (f := d.features.get(n)) else ["", "", ""]
                 for n in names]
        w.writerow([cell(row[c]) for c in CSV_COLUMNS] + [c for trio in feats for c in trio] + ["; ".join(d.alerts)])
    return buf.getvalue()
