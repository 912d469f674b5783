"""Drift results as a markdown table for the Dagster UI and as warehouse rows (pure)."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl

from infranaut_pipelines.drift import DriftResult
from infranaut_pipelines.escaping import markdown


def drift_markdown(result: DriftResult) -> str:
    lines = ["| column | role | method | score | threshold | drifted |", "|---|---|---|---|---|---|"]
    for c in sorted(result.columns, key=lambda c: (not c.drifted, c.name)):
        score = "error: " + markdown(c.error) if c.error else (f"{c.score:.4f}" if c.score is not None else markdown(c.status))
        threshold = f"{c.threshold:g}" if c.threshold is not None else ""
        lines.append(
            f"| {markdown(c.name)} | {c.role} | {c.method or ''} | {score} | {threshold} | {'**yes**' if c.drifted else 'no'} |"
        )
    verdict = "DRIFT" if result.dataset_drift else "no dataset drift"
    lines.append("")
    lines.append(f"**{verdict}**: {result.n_drifted} drifted columns, share {result.drift_share:.2f}")
    return "\n".join(lines)


def drift_rows(result: DriftResult, model_id: str, day: dt.date, baseline_version: str) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "model_id": [model_id] * len(result.columns),
            "partition_date": [day] * len(result.columns),
            "column_name": [c.name for c in result.columns],
            "role": [c.role for c in result.columns],
            "method": [c.method for c in result.columns],
            "score": [c.score for c in result.columns],
            "threshold": [c.threshold for c in result.columns],
            "drifted": [bool(c.drifted) for c in result.columns],
            "error": [c.error for c in result.columns],
            "baseline_version": [baseline_version] * len(result.columns),
            "new_categories": [
                json.dumps([str(v) for v in c.stats["new_categories"]]) if c.stats.get("new_categories") else None
                for c in result.columns
            ],
        },
        schema={
            "model_id": pl.Utf8, "partition_date": pl.Date, "column_name": pl.Utf8, "role": pl.Utf8,
            "method": pl.Utf8, "score": pl.Float64, "threshold": pl.Float64, "drifted": pl.Boolean,
            "error": pl.Utf8, "baseline_version": pl.Utf8, "new_categories": pl.Utf8,
        },
    )


def drift_summary_row(
    result: DriftResult, model_id: str, day: dt.date, baseline_version: str, report_uri: str
) -> pl.DataFrame:
    """One row per (model, day): the dataset verdict, prediction drift and performance parts as JSON."""
    d = result.to_dict()
    pred = result.prediction_drift
    return pl.DataFrame(
        {
            "model_id": [model_id],
            "partition_date": [day],
            "dataset_drift": [bool(result.dataset_drift)],
            "drift_share": [float(result.drift_share)],
            "n_drifted": [int(result.n_drifted)],
            "n_current": [int(result.n_current)],
            "prediction_drifted": [bool(pred.drifted) if pred else None],
            "prediction_score": [pred.score if pred else None],
            "performance": [json.dumps(d["performance"]) if d.get("performance") else None],
            "estimated_performance": [json.dumps(d["estimated_performance"]) if d.get("estimated_performance") else None],
            "multivariate": [json.dumps(d["multivariate"]) if d.get("multivariate") else None],
            "baseline_version": [baseline_version],
            "report_uri": [report_uri],
        },
        schema={
            "model_id": pl.Utf8, "partition_date": pl.Date, "dataset_drift": pl.Boolean, "drift_share": pl.Float64,
            "n_drifted": pl.Int64, "n_current": pl.Int64, "prediction_drifted": pl.Boolean,
            "prediction_score": pl.Float64, "performance": pl.Utf8, "estimated_performance": pl.Utf8,
            "multivariate": pl.Utf8, "baseline_version": pl.Utf8, "report_uri": pl.Utf8,
        },
    )
