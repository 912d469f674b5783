"""A team with only a SageMaker capture bucket: one registry entry, the real landing sensor on moto's S3, and
the runs it requests ingest, decode and validate the capture and its ground truth. Every record is counted."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from infranaut_pipelines.partitions import partition_key
from infranaut_pipelines.resources.io_manager import lake_key, read_frame
from infranaut_pipelines.storage import S3Store
from tests.formats.fixtures import (
    MODEL,
    REGISTRY_YAML,
    capture_key,
    capture_record,
    ground_truth_key,
    ground_truth_record,
    jsonl,
)
from tests.s3_server import S3Bucket, s3_bucket, s3_server  # noqa: F401 - fixtures
from tests.support.env import temporary_env

pytestmark = pytest.mark.slow  # the whole graph, once: ingestion to alerts, baseline, report

TODAY = dt.datetime.now(dt.timezone.utc).date()
DAY = TODAY - dt.timedelta(days=2)  # predictions; their ground truth is collected a day later (lag_days: 1)


@pytest.fixture
def env(tmp_path: Path, s3_bucket: S3Bucket) -> Iterator[S3Store]:  # noqa: F811
    (tmp_path / "data").mkdir()
    registry = tmp_path / "models.yaml"
    registry.write_text(REGISTRY_YAML)
    values = {"INFRANAUT_DATA_DIR": str(tmp_path / "data"), "INFRANAUT_LANDING_URL": f"s3://{s3_bucket.name}/landing",
              "INFRANAUT_REGISTRY": str(registry), "INFRANAUT_ALERT_RULES": None}
    with temporary_env(values):
        yield S3Store(s3_bucket.name, "landing", s3_bucket.client)


def _write_day(store: S3Store) -> tuple[int, int]:
    """Two hours of capture (CSV and BASE64-JSON, one record with inferenceId, one line cut short) and ground truth."""
    base = dt.datetime.combine(DAY, dt.time(9), tzinfo=dt.timezone.utc)
    hour1 = [capture_record(f"ev-{i}", base + dt.timedelta(minutes=i), [1.0 + i, 1 + i % 5, "north"], 2.0 + i / 10)
             for i in range(40)]
    hour2 = [capture_record(f"ev-b{i}", base + dt.timedelta(hours=1, minutes=i), [3.0, 2, "south"], 1.5,
                            encoding="BASE64", inference_id=f"order-{i}" if i == 0 else None) for i in range(30)]
    store.write_bytes(capture_key(base), jsonl(hour1))
    store.write_bytes(capture_key(base + dt.timedelta(hours=1)), jsonl(hour2) + b'{"captureData": {"endpointIn')
    truth = [ground_truth_record(f"ev-{i}", 2.5) for i in range(10)] + [ground_truth_record("order-0", 1.0)]
    store.write_bytes(ground_truth_key(base + dt.timedelta(days=1)), jsonl(truth))
    store.write_bytes(f"datacapture/parcel-eta-prod/AllTraffic/{DAY:%Y/%m/%d}/stray.jsonl", b"{}\n")  # off layout
    return 40 + 30 + 1, len(truth)


def _counts(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetMaterialization]:
    return {e.asset_key.to_user_string(): e.materialization for e in result.get_asset_materialization_events()}


def test_a_capture_bucket_through_the_landing_sensor_and_the_pipeline(env: S3Store) -> None:
    from infranaut_pipelines.definitions import build_definitions

    records, labels = _write_day(env)
    defs = build_definitions()
    with dg.instance_for_test() as instance:
        sensor = defs.resolve_sensor_def("landing_sensor")
        with dg.build_sensor_context(instance=instance, cursor=None, resources=defs.resources) as ctx:
            tick = sensor(ctx)
        assert isinstance(tick, dg.SensorResult)
        requested = {(r.job_name, str(r.partition_key)) for r in tick.run_requests}
        key = f"{DAY.isoformat()}|{MODEL}"
        assert requested == {("inference_pipeline_job", key), ("label_pipeline_job", key)}
        rejected = defs.resources["warehouse"].get_warehouse().query(  # type: ignore[union-attr]
            "SELECT key, reason FROM rejected_drops").rows()
        assert len(rejected) == 1 and rejected[0][0].endswith("stray.jsonl") and "yyyy/mm/dd/hh" in rejected[0][1]

        for req in tick.dynamic_partitions_requests:
            instance.add_dynamic_partitions(req.partitions_def_name, list(req.partition_keys))
        by_job = {r.job_name: r for r in tick.run_requests}
        # The whole pipeline the sensor asked for: ingestion to alerts (the report waits for a baseline).
        inferences = defs.resolve_job_def("inference_pipeline_job").execute_in_process(
            instance=instance, partition_key=key, tags=by_job["inference_pipeline_job"].tags)
        assert inferences.success
        got = _counts(inferences)
        raw = got["raw_inferences"].metadata
        assert raw["row_count"].value == records and raw["records_read"].value == str(records)
        assert raw["not_available"].value == "latency_ms" and raw["source_format"].value == "sagemaker_capture"
        valid = got["validated_inferences"].metadata["row_count"].value
        quarantined = got["quarantined_inferences"].metadata["row_count"].value
        assert (valid, quarantined) == (records - 1, 1)  # the cut line is quarantined, not lost
        lake = defs.resources["lake"]
        bad = read_frame(lake, lake_key("quarantined_inferences", partition_key(DAY, MODEL)))  # type: ignore[arg-type]
        assert "cut short" in " ".join(bad["quarantine_reasons"].explode().to_list())

        truth = defs.resolve_job_def("label_pipeline_job").execute_in_process(
            instance=instance, partition_key=key, tags=by_job["label_pipeline_job"].tags,
            asset_selection=[dg.AssetKey(k) for k in ("raw_labels", "validated_labels", "quarantined_labels")])
        assert truth.success
        assert _counts(truth)["validated_labels"].metadata["row_count"].value == labels
        joined = defs.resources["warehouse"].get_warehouse().query(  # type: ignore[union-attr]
            "SELECT count(*) FROM label_log l JOIN inference_log i USING (prediction_id)").rows()
        assert joined[0][0] == labels  # on eventId, and on inferenceId where the caller set one

        with dg.build_sensor_context(instance=instance, cursor=tick.cursor, resources=defs.resources) as ctx:
            again = sensor(ctx)
        assert again.run_requests == []  # the same cursor guarantee as the landing contract

        # A baseline on that day, then its report: Model Monitor's files next to the drift reports.
        baseline = defs.resolve_job_def("update_baseline_job").execute_in_process(
            instance=instance, partition_key=MODEL,
            run_config={"ops": {"drift_baseline": {"config": {"start": DAY.isoformat(), "end": DAY.isoformat()}}}})
        assert baseline.success
        report = defs.resolve_job_def("nightly_report_job").execute_in_process(instance=instance, partition_key=key)
        assert report.success
        store = lake.get_store()  # type: ignore[union-attr]
        stats = json.loads(store.read_bytes(f"reports/{MODEL}/{DAY.isoformat()}/statistics.json"))
        assert stats["dataset"]["item_count"] == records - 1
        found = json.loads(store.read_bytes(f"reports/{MODEL}/{DAY.isoformat()}/constraint_violations.json"))
        assert found["violations"] == []  # the day against itself
        cons = json.loads(store.read_bytes(f"baselines/{MODEL}/constraints.json"))
        assert {f["name"] for f in cons["features"]} == {"distance_km", "parcels", "zone", "eta_hours"}
