"""The landing sensor on S3 (moto's server): an outage skips the tick without losing anything, the next
tick requests the partition, and the requested run ingests and validates the drop from the bucket."""

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
from dagster_aws.s3 import S3Resource

from infranaut_pipelines.demo import write_demo_drops
from infranaut_pipelines.registry import load_registry
from infranaut_pipelines.resources.storage import InfranautSettings, ObjectStoreResource, WarehouseResource
from infranaut_pipelines.sensors.landing_sensor import build_landing_sensor
from infranaut_pipelines.storage import S3Store
from tests.s3_server import S3Bucket, s3_bucket, s3_server  # noqa: F401 - fixtures
from tests.support.env import temporary_env

DAY = dt.date(2026, 11, 2)


@pytest.fixture
def env(tmp_path: Path, s3_bucket: S3Bucket) -> Iterator[str]:  # noqa: F811
    landing = f"s3://{s3_bucket.name}/landing"
    values = {"INFRANAUT_DATA_DIR": str(tmp_path), "INFRANAUT_LANDING_URL": landing}
    with temporary_env(values):
        yield landing


def test_outage_then_recovery_then_the_requested_run(env: str, s3_bucket: S3Bucket, tmp_path: Path) -> None:  # noqa: F811
    from infranaut_pipelines.definitions import build_definitions

    registry = load_registry()
    store = S3Store(s3_bucket.name, "landing", s3_bucket.client)
    manifest = write_demo_drops(store, registry, start=DAY, days=1, rows_per_day=300, models=["fraud_detector"])
    inference_keys = [k for k in manifest.files if k.startswith("inferences/")]
    warehouse = WarehouseResource(url=f"duckdb:///{tmp_path / 'sensor.duckdb'}")
    down = {
        "landing": ObjectStoreResource(url=env, s3=S3Resource(endpoint_url="http://127.0.0.1:9", max_attempts=1)),
        "warehouse": warehouse,
        "settings": InfranautSettings(),
        "lake": ObjectStoreResource(url=(tmp_path / "lake").as_uri(), s3=S3Resource()),
    }
    up = {**down, "landing": ObjectStoreResource(url=env, s3=S3Resource())}
    sensor = build_landing_sensor()
    with dg.instance_for_test() as instance:
        with dg.build_sensor_context(instance=instance, cursor=None, resources=down) as ctx:
            outage = sensor(ctx)
        assert outage.run_requests == [] and outage.skip_reason is not None
        assert "unreachable" in (outage.skip_reason.skip_message or "")
        assert outage.cursor is None  # not advanced: nothing may be skipped later

        with dg.build_sensor_context(instance=instance, cursor=outage.cursor, resources=up) as ctx:
            recovered = sensor(ctx)
        requests = [r for r in recovered.run_requests if r.job_name == "inference_pipeline_job"]
        assert len(requests) == 1 and requests[0].tags["infranaut/new_files"] == str(len(inference_keys))
        request = requests[0]
        assert str(request.partition_key) == f"{DAY.isoformat()}|fraud_detector"

        # Run what the sensor asked for (ingestion and validation of that partition) against the bucket.
        instance.add_dynamic_partitions("models", ["fraud_detector"])
        defs = build_definitions()
        job = defs.resolve_job_def(request.job_name)
        result = job.execute_in_process(
            instance=instance,
            partition_key=str(request.partition_key),
            tags=request.tags,
            asset_selection=[dg.AssetKey(k) for k in ("raw_inferences", "validated_inferences", "quarantined_inferences")],
        )
        assert result.success
        counts = {
            e.asset_key.to_user_string(): e.materialization.metadata["row_count"].value
            for e in result.get_asset_materialization_events()
        }
        expected = manifest.rows["fraud_detector"][DAY.isoformat()]
        assert counts["raw_inferences"] == expected
        assert counts["validated_inferences"] + counts["quarantined_inferences"] == expected
