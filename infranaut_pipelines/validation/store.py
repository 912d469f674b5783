"""Validation results in the warehouse: one row per (model_id, partition_date), replaced on re-run."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import polars as pl

from infranaut_pipelines.validation.outcome import ValidationOutcome
from infranaut_pipelines.warehouse.database import Warehouse

TABLE = "validation_results"
SCHEMA: dict[str, pl.DataType] = {
    "model_id": pl.Utf8,
    "partition_date": pl.Date,
    "dataset": pl.Utf8,
    "validation_type": pl.Utf8,
    "is_valid": pl.Boolean,
    "errors": pl.Utf8,  # JSON list of failed checks
    "quality_metrics": pl.Utf8,  # JSON: ValidationOutcome.metrics + quality_score
    "timestamp": pl.Datetime("us", "UTC"),
}


def _row(model_id: str, partition_date: dt.date, outcome: ValidationOutcome) -> pl.DataFrame:
    errors = [
        {"check": c.name, "severity": c.severity, "blocking": c.blocking, "metadata": c.metadata}
        for c in outcome.checks.values()
        if not c.passed
    ]
    metrics = dict(outcome.metrics, quality_score=outcome.quality_score)
    return pl.DataFrame(
        {
            "model_id": [model_id],
            "partition_date": [partition_date],
            "dataset": ["predictions"],
            "validation_type": ["batch"],
            "is_valid": [outcome.passed],
            "errors": [json.dumps(errors, default=str)],
            "quality_metrics": [json.dumps(metrics, default=str)],
            "timestamp": [dt.datetime.now(dt.timezone.utc)],
        },
        schema=SCHEMA,
    )


def record_validation(warehouse: Warehouse, model_id: str, partition_date: dt.date, outcome: ValidationOutcome) -> None:
    warehouse.replace_partition(
        TABLE, _row(model_id, partition_date, outcome), {"model_id": model_id, "partition_date": partition_date}
    )


def trailing_history(warehouse: Warehouse, model_id: str, partition_date: dt.date, days: int = 7) -> pl.DataFrame:
    """The ``days`` partitions before ``partition_date`` (excluded), with metrics unpacked:
    partition_date, rows_raw, quarantine_share, quality_score, null_rates (JSON text)."""
    empty = pl.DataFrame(
        schema={"partition_date": pl.Date, "rows_raw": pl.Int64, "quarantine_share": pl.Float64,
                "quality_score": pl.Float64, "null_rates": pl.Utf8}
    )
    if not warehouse.table_exists(TABLE):
        return empty
    start = partition_date - dt.timedelta(days=days)
    df = warehouse.query(
        f'SELECT partition_date, quality_metrics FROM "{TABLE}" '
        "WHERE model_id = :m AND partition_date >= :s AND partition_date < :e ORDER BY partition_date",
        {"m": model_id, "s": start, "e": partition_date},
    )
    if df.height == 0:
        return empty
    rows: list[dict[str, Any]] = []
    for d, qm in df.iter_rows():
        m = json.loads(qm) if isinstance(qm, str) else (qm or {})
        rows.append({
            "partition_date": d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d)[:10]),
            "rows_raw": int(m.get("rows_raw", 0)),
            "quarantine_share": float(m.get("quarantine_share", 0.0)),
            "quality_score": float(m.get("quality_score", 1.0)),
            "null_rates": json.dumps(m.get("null_rates", {})),
        })
    return pl.DataFrame(rows, schema=empty.schema)
