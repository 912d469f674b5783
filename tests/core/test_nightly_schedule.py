"""The nightly schedule asks for yesterday's report of every model that has features for that day."""

import datetime as dt

import dagster as dg

from infranaut_pipelines.partitions import MODEL_PARTITIONS_NAME, partition_key
from infranaut_pipelines.schedules.nightly import build_nightly_schedule


def test_nightly_requests_yesterday_for_models_with_data(tmp_path, monkeypatch) -> None:
    from infranaut_pipelines.definitions import build_definitions

    monkeypatch.setenv("INFRANAUT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("INFRANAUT_NIGHTLY_CRON", "0 2 * * *")
    defs = build_definitions()
    schedule = defs.resolve_schedule_def("nightly_drift_schedule")
    # Resolve the repository before any test instance exists: Dagster keeps the instance that was current
    # during resolution in a process-wide load context, which must not point at a closed test instance.
    repository = defs.get_repository_def()
    assert schedule.cron_schedule == "0 2 * * *" and schedule.execution_timezone == "UTC"
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(MODEL_PARTITIONS_NAME, ["fraud_detector", "demand_forecaster"])
        yesterday = dt.date(2026, 11, 21)
        instance.report_runless_asset_event(
            dg.AssetMaterialization(asset_key="model_features", partition=str(partition_key(yesterday, "fraud_detector")))
        )
        ctx = dg.build_schedule_context(
            instance=instance,
            scheduled_execution_time=dt.datetime(2026, 11, 22, 2, 0, tzinfo=dt.timezone.utc),
            repository_def=repository,
        )
        result = schedule.evaluate_tick(ctx)
        assert [r.partition_key for r in result.run_requests] == ["2026-11-21|fraud_detector"]
        assert result.run_requests[0].run_key == "nightly-2026-11-21-fraud_detector"
        assert result.run_requests[0].tags["infranaut/trigger"] == "nightly"


def test_nightly_skips_with_a_reason_when_no_model_has_data() -> None:
    schedule = build_nightly_schedule()
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(MODEL_PARTITIONS_NAME, ["fraud_detector"])
        ctx = dg.build_schedule_context(
            instance=instance, scheduled_execution_time=dt.datetime(2026, 11, 22, 2, 0, tzinfo=dt.timezone.utc)
        )
        result = schedule.evaluate_tick(ctx)
        assert not result.run_requests
        assert "2026-11-21" in (result.skip_message or "") and "fraud_detector" in (result.skip_message or "")
