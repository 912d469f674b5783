"""A few fabricated days of the tests' own model, written the way the pipeline writes them.

Real drift results (``compare`` against a real sketch) go through the monitoring phase's own row builders
into a DuckDB warehouse, and real reports into a local lake; SLA, quality and alert rows are the tables the
dbt, validation and alerting phases fill. One day is left out entirely (a missing partition) and the last
day drifts, with a ``<script>`` category in a feature.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import sqlalchemy as sa

from infranaut_pipelines.alerting.store import AlertStore, alert_events
from infranaut_pipelines.drift import DriftResult, build_sketch, compare
from infranaut_pipelines.monitoring.drift_table import drift_rows, drift_summary_row
from infranaut_pipelines.monitoring.layout import report_html_key, report_prefix
from infranaut_pipelines.monitoring.specs import drift_columns, drift_settings
from infranaut_pipelines.registry import ModelSpec, load_registry
from infranaut_pipelines.reports import render_html, render_json
from infranaut_pipelines.storage import open_store
from infranaut_pipelines.warehouse import Warehouse
from tests.support.own_model import MODEL, inference_frame, write_registry

SCRIPT = "<script>alert('x')</script>"
START = dt.date(2026, 11, 16)
N_DAYS = 5
MISSING = START + dt.timedelta(days=2)  # no partition at all that day
DRIFT_DAY = START + dt.timedelta(days=N_DAYS - 1)


@dataclass
class Fabricated:
    root: Path
    registry_path: Path
    spec: ModelSpec
    lake_url: str
    warehouse_url: str
    days: list[dt.date]
    results: dict[dt.date, DriftResult]


def _day_frame(day: dt.date) -> pl.DataFrame:
    if day != DRIFT_DAY:
        return inference_frame(day, rows=400)
    frame = inference_frame(day, rows=400, spend_shift=2.0)
    plan = [SCRIPT if i % 3 == 0 else p for i, p in enumerate(frame["plan"].to_list())]
    return frame.with_columns(pl.Series("plan", plan))


def fabricate(root: Path) -> Fabricated:
    registry_path = write_registry(root)
    spec = load_registry(str(registry_path)).model(MODEL)
    lake = open_store((root / "lake").as_uri())
    warehouse_url = f"duckdb:///{root / 'warehouse.duckdb'}"
    wh = Warehouse(warehouse_url)
    cols, settings = drift_columns(spec), drift_settings(spec)
    reference = pl.concat([inference_frame(START - dt.timedelta(days=i + 1), rows=400) for i in range(3)])
    sketch = build_sketch(reference, cols, settings)
    days = [START + dt.timedelta(days=i) for i in range(N_DAYS)]
    results: dict[dt.date, DriftResult] = {}
    store = AlertStore(wh)
    for i, day in enumerate(days):
        if day == MISSING:
            continue
        result = compare(sketch, _day_frame(day), cols, settings)
        results[day] = result
        where = {"model_id": MODEL, "partition_date": day}
        context = {"model_id": MODEL, "partition_date": day.isoformat(), "baseline_version": "v-test",
                   "baseline_window": f"{START - dt.timedelta(days=3)} .. {START - dt.timedelta(days=1)}",
                   "run_url": f"http://127.0.0.1:3000/runs/run-{i}"}
        lake.write_bytes(report_html_key(MODEL, day), render_html(result, f"Drift report: {MODEL} on {day}",
                                                                   context).encode())
        lake.write_bytes(report_prefix(MODEL, day) + "drift_report.json", render_json(result, context).encode())
        wh.replace_partition("drift_results", drift_rows(result, MODEL, day, "v-test"), where)
        wh.replace_partition("drift_summaries", drift_summary_row(result, MODEL, day, "v-test",
                                                                  lake.uri(report_html_key(MODEL, day))), where)
        wh.replace_partition("daily_model_metrics", pl.DataFrame({
            "model_id": [MODEL], "partition_date": [day], "latency_p95_ms": [180.0 + 20 * i],
            "error_rate": [0.01 * (i + 1)]}), where)
        wh.replace_partition("validation_results", pl.DataFrame({
            "model_id": [MODEL], "partition_date": [day], "errors": ["[]"],
            "quality_metrics": [json.dumps({"quality_score": 0.99 - 0.05 * (day == DRIFT_DAY)})]}), where)
    with store.engine.begin() as conn:
        conn.execute(sa.insert(alert_events), [{
            "fingerprint": "f-drift", "partition_date": DRIFT_DAY, "model_id": MODEL, "rule": "feature_drift",
            "subject": "monthly_spend", "severity": "warning", "result": "fired", "value": 2.0, "threshold": 1.0,
            "summary": "drift", "recorded_at": dt.datetime(2026, 11, 21, 2)}])
    return Fabricated(root, registry_path, spec, lake.url, warehouse_url, days, results)
