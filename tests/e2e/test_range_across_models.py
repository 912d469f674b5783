"""A range run across models (what Dagster launches to re-run one day of every model from the asset page):
every model's partition is materialized, each with its own rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
import pytest

from infranaut_pipelines.partitions import RANGE_END_TAG, RANGE_START_TAG, partition_key
from tests.support.env import temporary_env
from tests.support.own_model import MODEL, REGISTRY_YAML, drop_key, inference_frame, parquet_bytes, write_registry

pytestmark = pytest.mark.slow

SECOND = "churn_eu"
DAY = dt.date(2026, 10, 20)


def test_one_day_of_two_models_in_one_run(tmp_path: Path) -> None:
    from infranaut_pipelines.definitions import build_definitions

    registry = REGISTRY_YAML + REGISTRY_YAML.split("models:\n", 1)[1].replace(f"id: {MODEL}", f"id: {SECOND}")
    env = {"INFRANAUT_DATA_DIR": str(tmp_path / "data"), "INFRANAUT_REGISTRY": str(write_registry(tmp_path, registry)),
           "INFRANAUT_ALERT_RULES": None, "SLACK_BOT_TOKEN": None, "SLACK_WEBHOOK_URL": None,
           "INFRANAUT_PARTITIONS_START": "2026-01-01"}
    with temporary_env(env), dg.instance_for_test() as instance:
        defs = build_definitions()
        landing = defs.resources["landing"].get_store()  # type: ignore[union-attr]
        rows = {MODEL: 300, SECOND: 200}
        for model, n in rows.items():
            landing.write_bytes(drop_key(DAY, model=model), parquet_bytes(inference_frame(DAY, rows=n, model=model)))
        instance.add_dynamic_partitions("models", list(rows))
        # As a backfill's range run carries it: first and last key in the partitions' own order.
        keys = [str(partition_key(DAY, m)) for m in rows]
        result = defs.resolve_job_def("inference_pipeline_job").execute_in_process(
            instance=instance, tags={RANGE_START_TAG: keys[0], RANGE_END_TAG: keys[-1]}, raise_on_error=False)
        assert result.success, [e.message for e in result.all_events if e.is_failure]
        done = {(e.asset_key.to_user_string(), e.partition) for e in result.get_asset_materialization_events()}
        for asset in ("validated_inferences", "daily_model_metrics", "model_features", "alerts"):
            assert {(asset, k) for k in keys} <= done, asset
        wh = defs.resources["warehouse"].get_warehouse()  # type: ignore[union-attr]
        daily = wh.query("SELECT model_id, request_count FROM daily_model_metrics ORDER BY model_id")
        assert dict(daily.rows()) == rows

        # Tags naming the models out of the partitions' order hold no partition: a clear failure, not a crash.
        backwards = defs.resolve_job_def("inference_pipeline_job").execute_in_process(
            instance=instance, tags={RANGE_START_TAG: keys[-1], RANGE_END_TAG: keys[0]}, raise_on_error=False)
        assert not backwards.success
        assert any("holds no partition" in str(e.message) or "holds no partition" in str(e.event_specific_data)
                   for e in backwards.all_events if e.is_failure)
