"""The dbt models' numbers against the same metrics computed independently in Python, on both adapters."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

from tests.dbt import sample_data as sd
from tests.dbt.conftest import TABLES, Built, row_counts


@pytest.fixture(params=["duckdb", "postgres"])
def built(request: pytest.FixtureRequest) -> Built:
    return request.getfixturevalue("duckdb_built" if request.param == "duckdb" else "pg_built")


def _daily(b: Built, model_id: str, day=sd.DAY) -> dict:
    df = b.warehouse.query(
        "select * from daily_model_metrics where model_id = :m and partition_date = :d", {"m": model_id, "d": day}
    )
    assert df.height == 1, df
    return df.row(0, named=True)


def test_every_build_succeeded_including_dbt_tests(built: Built) -> None:
    assert built.builds and all(built.builds.values()), built.builds


def _assert_daily_matches_python(built: Built, model_id: str) -> None:
    expected = sd.expected_daily(model_id, sd.dataset()[model_id])
    row = _daily(built, model_id)
    for name, value in expected.items():
        if isinstance(value, float):
            assert row[name] == pytest.approx(value, rel=1e-9, abs=1e-12), name
        else:
            assert row[name] == value, name
    # Metrics of the other tasks stay null rather than being computed on meaningless inputs.
    not_applicable = {"mae", "rmse"} if model_id == sd.BINARY else {"accuracy", "precision", "recall", "auc", "positive_rate"}
    assert all(row[m] is None for m in not_applicable)


def test_binary_daily_metrics_match_python(built: Built) -> None:
    _assert_daily_matches_python(built, sd.BINARY)


def test_regression_daily_metrics_match_python(duckdb_built: Built) -> None:
    _assert_daily_matches_python(duckdb_built, sd.REGRESSION)


def test_multiclass_accuracy_matches_python(duckdb_built: Built) -> None:
    expected = sd.expected_daily(sd.MULTICLASS, sd.dataset()[sd.MULTICLASS])
    row = _daily(duckdb_built, sd.MULTICLASS)
    assert row["accuracy"] == pytest.approx(expected["accuracy"])
    assert (row["labelled_count"], row["unknown_label_count"]) == (expected["labelled_count"], 3)
    assert row["prediction_mean"] is None and row["auc"] is None


def test_unknown_labels_are_counted_and_ignored(built: Built) -> None:
    frames = sd.dataset()[sd.BINARY]
    row = _daily(built, sd.BINARY)
    assert row["unknown_label_count"] == 3
    ok_ids = frames["inference_log"].filter(pl.col("status") == "ok")["prediction_id"]
    assert row["labelled_count"] == frames["label_log"]["prediction_id"].unique().is_in(ok_ids.implode()).sum()


def test_hourly_metrics_roll_up_and_match_python(built: Built) -> None:
    hourly = built.warehouse.query(
        "select * from hourly_model_metrics where model_id = :m order by hour_start", {"m": sd.BINARY}
    )
    inf = sd.dataset()[sd.BINARY]["inference_log"].with_columns(
        pl.col("timestamp").dt.convert_time_zone("UTC").dt.replace_time_zone(None).dt.truncate("1h").alias("hour")
    )
    assert hourly.height == inf["hour"].n_unique() == 24
    assert hourly["request_count"].sum() == inf.height
    assert hourly["error_count"].sum() == (inf["status"] == "error").sum()
    noon = inf.filter(pl.col("hour").dt.hour() == 12)
    row = hourly.filter(pl.col("hour_start").dt.hour() == 12).row(0, named=True)
    assert row["latency_p95_ms"] == pytest.approx(float(np.percentile(noon["latency_ms"].to_numpy(), 95)))
    assert row["request_count"] == noon.height


def test_model_metrics_is_the_daily_row_in_long_form(built: Built) -> None:
    daily = _daily(built, sd.BINARY)
    long = built.warehouse.query(
        "select * from model_metrics where model_id = :m and partition_date = :d", {"m": sd.BINARY, "d": sd.DAY}
    )
    values = dict(zip(long["metric_name"], long["metric_value"]))
    assert values["auc"] == pytest.approx(daily["auc"])
    assert values["latency_p95_ms"] == pytest.approx(daily["latency_p95_ms"])
    assert values["latency_sla_breached"] == 1.0 and values["request_count"] == 1200
    assert "mae" not in values  # null metrics are left out
    meta = {n: json.loads(m) for n, m in zip(long["metric_name"], long["metadata"])}
    assert meta["latency_p95_ms"] == {
        "grain": "day", "source": "daily_model_metrics", "task": "binary_classification", "threshold": 120.0,
    }  # fmt: skip
    assert str(long["metric_timestamp"][0])[:10] == sd.DAY.isoformat()


def test_rerun_replaces_the_partition(pg_built: Built) -> None:
    built = pg_built
    assert row_counts(built.warehouse, sd.BINARY) == built.counts_after_first_build
    assert built.counts_after_first_build == {"daily_model_metrics": 1, "hourly_model_metrics": 24, "model_metrics": 17}  # 19 metrics minus mae/rmse
    dupes = built.warehouse.query(
        "select model_id, partition_date, count(*) as n from daily_model_metrics group by 1, 2 having count(*) > 1"
    )
    assert dupes.height == 0


def test_partition_without_rows_yields_empty_aggregates(pg_built: Built) -> None:
    assert pg_built.builds[f"{sd.EMPTY_DAY}|{sd.BINARY}"] is True
    for table in TABLES:
        n = pg_built.warehouse.query(
            f"select count(*) as n from {table} where partition_date = :d", {"d": sd.EMPTY_DAY}
        )["n"][0]
        assert n == 0, table
