"""A stranger's first drop can be labels (ground truth backfilled before the serving logs are wired): the label
run succeeds, the labels wait in the warehouse, and the day's inference run joins them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from infranaut_pipelines.partitions import MODEL_PARTITIONS_NAME, partition_key
from infranaut_pipelines.warehouse import Warehouse
from tests.support import own_model as om

DAY = dt.date(2026, 11, 1)


@pytest.fixture
def own_deployment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.setenv("INFRANAUT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("INFRANAUT_REGISTRY", str(om.write_registry(tmp_path)))
    monkeypatch.setenv("INFRANAUT_EXECUTOR", "in_process")
    for name in ("INFRANAUT_WAREHOUSE_URL", "INFRANAUT_LANDING_URL", "INFRANAUT_LAKE_URL", "INFRANAUT_ALERT_RULES"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return tmp_path


def _land(root: Path, key: str, data: bytes) -> None:
    path = root / "data" / "landing" / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def test_labels_before_any_prediction_wait_and_join_when_the_predictions_come(own_deployment: Path) -> None:
    from infranaut_pipelines.commands.process import Runner

    frame = om.inference_frame(DAY, rows=300)
    labels = om.label_frame(frame)
    _land(own_deployment, om.label_key(DAY), om.parquet_bytes(labels))
    runner = Runner(say=lambda _line: None, log_level="ERROR")
    runner.instance.add_dynamic_partitions(MODEL_PARTITIONS_NAME, [om.MODEL])
    key = str(partition_key(DAY, om.MODEL))
    assert runner.run("label_pipeline_job", key, "labels first")  # failed in dbt on the missing inference_log

    wh = Warehouse(f"duckdb:///{own_deployment / 'data' / 'warehouse.duckdb'}")
    waiting = wh.query("SELECT count(*) AS n FROM label_log WHERE model_id = :m", {"m": om.MODEL})
    assert waiting["n"][0] == labels.height
    assert wh.query("SELECT count(*) AS n FROM inference_log", {})["n"][0] == 0

    _land(own_deployment, om.drop_key(DAY), om.parquet_bytes(frame))
    assert runner.run("inference_pipeline_job", key, "then the predictions")
    daily = wh.query("SELECT request_count, labelled_count FROM daily_model_metrics WHERE model_id = :m "
                     "AND partition_date = :d", {"m": om.MODEL, "d": DAY})
    assert daily.to_dicts() == [{"request_count": frame.height, "labelled_count": labels.height}]
