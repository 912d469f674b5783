"""A model whose very first drop is labels: the label run succeeds, the labels are kept, and they join their
predictions once the inference drop arrives (a model of the tests' own, tests/support/own_model.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
import pytest

from infranaut_pipelines.partitions import partition_key
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

pytestmark = pytest.mark.slow


def test_labels_before_any_inference_are_kept_and_joined_later(tmp_path: Path) -> None:
    from infranaut_pipelines.definitions import build_definitions

    day = dt.date(2026, 10, 20)
    env = {"INFRANAUT_DATA_DIR": str(tmp_path / "data"), "INFRANAUT_REGISTRY": str(write_registry(tmp_path)),
           "INFRANAUT_ALERT_RULES": None, "SLACK_BOT_TOKEN": None, "SLACK_WEBHOOK_URL": None,
           "INFRANAUT_PARTITIONS_START": "2026-01-01"}
    with temporary_env(env), dg.instance_for_test() as instance:
        defs = build_definitions()
        landing = defs.resources["landing"].get_store()  # type: ignore[union-attr]
        wh = defs.resources["warehouse"].get_warehouse()  # type: ignore[union-attr]
        instance.add_dynamic_partitions("models", [MODEL])
        key = str(partition_key(day, MODEL))
        inferences = inference_frame(day, rows=300)
        landing.write_bytes(label_key(day), parquet_bytes(label_frame(inferences)))

        first = defs.resolve_job_def("label_pipeline_job").execute_in_process(
            instance=instance, partition_key=key, raise_on_error=False)
        assert first.success, [e.message for e in first.all_events if e.is_failure]
        assert wh.query("SELECT COUNT(*) AS n FROM label_log").item() == 300
        assert wh.query("SELECT COUNT(*) AS n FROM daily_model_metrics").item() == 0  # no traffic yet: no day row

        landing.write_bytes(drop_key(day), parquet_bytes(inferences))
        second = defs.resolve_job_def("inference_pipeline_job").execute_in_process(
            instance=instance, partition_key=key, raise_on_error=False)
        assert second.success, [e.message for e in second.all_events if e.is_failure]
        daily = wh.query("SELECT request_count, labelled_count, unknown_label_count FROM daily_model_metrics")
        assert daily.rows() == [(300, 300, 0)]
