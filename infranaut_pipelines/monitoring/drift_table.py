"""Drift results as a markdown table for the Dagster UI and as warehouse rows (pure)."""

from __future__ import annotations

import datetime as dt

import polars as pl

from infranaut_pipelines.drift import DriftResult


def _esc(text: object) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")


def drift_markdown(result: DriftResult) -> str:
    lines = ["| column | role | method | score | threshold | drifted |", "|---|---|---|---|---|---|"]
    for c in sorted(result.columns, key=lambda c: (not c.drifted, c.name)):
        score = "error: " + _esc(c.error) if c.error else (f"{c.score:.4f}" if c.score is not None else "")
        threshold = f"{c.threshold:g}" if c.threshold is not None else ""
        lines.append(
            f"| {_esc(c.name)} | {c.role} | {c.method or ''} | {score} | {threshold} | {'**yes**' if c.drifted else 'no'} |"
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
        },
        schema={
            "model_id": pl.Utf8, "partition_date": pl.Date, "column_name": pl.Utf8, "role": pl.Utf8,
            "method": pl.Utf8, "score": pl.Float64, "threshold": pl.Float64, "drifted": pl.Boolean,
            "error": pl.Utf8, "baseline_version": pl.Utf8,
        },
    )
