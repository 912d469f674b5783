"""A label drop for a day with no inference drop: the labels are stored and wait; nothing fails."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from infranaut_pipelines.partitions import MODEL_PARTITIONS_NAME, partition_key
from tests.support.env import temporary_env
from tests.support.own_model import (
    MODEL,
    drop_key,
    inference_frame,
    label_frame,
    label_key,
    parquet_bytes,
    write_registry,
)


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Path]:
    values = {
        "INFRANAUT_DATA_DIR": str(tmp_path / "data"),
        "INFRANAUT_REGISTRY": str(write_registry(tmp_path)),
        "INFRANAUT_ALERT_RULES": None,
        "SLACK_BOT_TOKEN": None,
        "SLACK_WEBHOOK_URL": None,
    }
    with temporary_env(values):
        yield tmp_path


def test_label_run_for_a_day_without_predictions_succeeds_and_keeps_the_labels(env: Path) -> None:
    from infranaut_pipelines.definitions import build_definitions

    defs = build_definitions()
    landing = defs.resources["landing"].get_store()  # type: ignore[union-attr]
    wh = defs.resources["warehouse"].get_warehouse()  # type: ignore[union-attr]
    day = dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=2)
    before = day - dt.timedelta(days=1)
    landing.write_bytes(drop_key(before), parquet_bytes(inference_frame(before, rows=50)))
    labels = label_frame(inference_frame(day, rows=50))  # predictions made, but their drop never arrived
    landing.write_bytes(label_key(day), parquet_bytes(labels))
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(MODEL_PARTITIONS_NAME, [MODEL])

        def run(job: str, on: dt.date) -> dg.ExecuteInProcessResult:
            return defs.resolve_job_def(job).execute_in_process(
                instance=instance, partition_key=str(partition_key(on, MODEL)), raise_on_error=False)

        assert run("inference_pipeline_job", before).success  # the model's warehouse tables exist
        result = run("label_pipeline_job", day)
        failures = [e.message for e in result.all_events if e.is_failure]
        assert result.success, failures
        stored = wh.query("SELECT COUNT(*) FROM label_log WHERE model_id = :m AND partition_date = :d",
                          {"m": MODEL, "d": day})
        assert stored.rows() == [(50,)]
        assert result.asset_materializations_for_node("validate_labels_asset")
        # Nothing is built from zero predictions: model_features records why, drift and alerts are skipped.
        [observed] = result.asset_observations_for_node("model_features")
        assert observed.metadata["status"].value == "no predictions for this day"
        for node in ("model_features", "drift_report", "alerts"):
            assert result.asset_materializations_for_node(node) == []
        assert instance.get_materialized_partitions(dg.AssetKey("model_features")) == {str(partition_key(before, MODEL))}

        # The inference drop arrives: its run ingests the waiting labels again and builds the day.
        landing.write_bytes(drop_key(day), parquet_bytes(inference_frame(day, rows=50)))
        late = run("inference_pipeline_job", day)
        assert late.success
        [features] = late.asset_materializations_for_node("model_features")
        assert features.metadata["row_count"].value == 50
        [labelled] = [m for m in late.asset_materializations_for_node("validate_labels_asset")
                      if m.asset_key == dg.AssetKey("validated_labels")]
        assert labelled.metadata["row_count"].value == 50
