from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest

from infranaut_pipelines.registry import load_registry
from infranaut_pipelines.validation import (
    anomaly_checks,
    record_validation,
    trailing_history,
    validate_batch,
    validate_labels,
)
from infranaut_pipelines.warehouse.database import Warehouse
from tests.support.synthetic import raw_batch

SPEC = load_registry().model("fraud_detector")
DAY = dt.date(2026, 11, 10)


def _roundtrip(wh: Warehouse) -> None:
    for i in range(6):
        d = DAY - dt.timedelta(days=6 - i)
        out = validate_batch(raw_batch(SPEC, d, 500 + 10 * i, seed=i), SPEC, d)
        record_validation(wh, SPEC.id, d, out)
        record_validation(wh, SPEC.id, d, out)  # re-run replaces, no duplicate
    # Only this test's days: the PostgreSQL database is shared by the session (other tests write other days).
    rows = wh.query("SELECT model_id, partition_date, is_valid, errors, quality_metrics FROM validation_results "
                    "WHERE model_id = :m AND partition_date BETWEEN :lo AND :hi ORDER BY partition_date",
                    {"m": SPEC.id, "lo": DAY - dt.timedelta(days=6), "hi": DAY - dt.timedelta(days=1)})
    assert rows.height == 6
    assert json.loads(rows["quality_metrics"][0])["rows_raw"] >= 500
    hist = trailing_history(wh, SPEC.id, DAY, days=7)
    assert hist.height == 6 and hist["rows_raw"].to_list() == [500, 510, 520, 530, 540, 550]
    today = validate_batch(raw_batch(SPEC, DAY, 5000, seed=9), SPEC, DAY)
    res = {c.name: c for c in anomaly_checks(hist, today)}
    assert not res["volume_anomaly"].passed and res["volume_anomaly"].severity == "WARN"
    assert res["quarantine_rate_anomaly"].passed and res["null_rate_anomaly"].passed
    normal = validate_batch(raw_batch(SPEC, DAY, 540, seed=9), SPEC, DAY)
    assert all(c.passed for c in anomaly_checks(hist, normal))


def test_record_validation_duckdb(tmp_path) -> None:
    _roundtrip(Warehouse(f"duckdb:///{tmp_path}/wh.duckdb"))


@pytest.mark.services
def test_record_validation_postgres(pg_url: str) -> None:
    _roundtrip(Warehouse(pg_url))


def test_anomaly_short_window_and_no_history() -> None:
    out = validate_batch(raw_batch(SPEC, DAY, 300, seed=1), SPEC, DAY)
    empty = trailing_history(Warehouse("duckdb:///:memory:"), SPEC.id, DAY)
    assert all(c.passed for c in anomaly_checks(empty, out))
    hist = pl.DataFrame({"partition_date": [DAY - dt.timedelta(days=1)], "rows_raw": [1000], "quarantine_share": [0.0],
                         "quality_score": [1.0], "null_rates": [json.dumps({"score": 0.0})]})
    res = {c.name: c for c in anomaly_checks(hist, out)}
    assert not res["volume_anomaly"].passed  # 300 vs 1000: outside +/- 50 %
    assert "short window" in str(res["volume_anomaly"].metadata["band"])
    assert res["null_rate_anomaly"].passed  # 1 % error rows -> score null rate ~1 %, within the 1 pt floor


def test_validate_labels() -> None:
    t = dt.datetime(2026, 11, 7, tzinfo=dt.timezone.utc)
    raw = pl.DataFrame({
        "prediction_id": ["a", "a", "b", "c", None, "d"],
        "is_fraud": [0, 1, 2, 1, 0, None],
        "label_timestamp": [t, t + dt.timedelta(hours=1), t, t, t, t],
    })
    valid, quarantine, metrics = validate_labels(raw, SPEC)
    assert valid.sort("prediction_id").select("prediction_id", "is_fraud").rows() == [("a", 1), ("c", 1)]
    reasons = dict(zip(quarantine["prediction_id"].to_list(), quarantine["quarantine_reasons"].to_list()))
    assert reasons["b"] == ["is_fraud: 2.0 not 0/1"]
    assert reasons["d"] == ["is_fraud: null"]
    assert metrics["duplicates_superseded"] == 1 and metrics["rows_quarantined"] == 3
