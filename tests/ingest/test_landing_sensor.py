"""The landing sensor end to end on a local landing folder: runs per partition, new models, rejections."""

from __future__ import annotations

import os
import time
from pathlib import Path

import dagster as dg
from dagster_aws.s3 import S3Resource

from infranaut_pipelines.resources.storage import InfranautSettings, ObjectStoreResource, WarehouseResource
from infranaut_pipelines.sensors.landing_sensor import build_landing_sensor


def _tick(sensor: dg.SensorDefinition, instance: dg.DagsterInstance, cursor: str | None, resources: dict):
    with dg.build_sensor_context(instance=instance, cursor=cursor, resources=resources) as ctx:
        return sensor(ctx)


def test_sensor_requests_runs_adds_models_and_records_rejects(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    today = time.strftime("%Y-%m-%d", time.gmtime())
    files = {
        f"inferences/fraud_detector/dt={today}/a.csv": b"prediction_id\n1\n",
        f"inferences/fraud_detector/dt={today}/b.csv": b"prediction_id\n2\n",
        f"labels/demand_forecaster/dt={today}/l.csv": b"prediction_id\n3\n",
        f"inferences/not_registered/dt={today}/x.csv": b"prediction_id\n4\n",
    }
    for key, data in files.items():
        (landing / key).parent.mkdir(parents=True, exist_ok=True)
        (landing / key).write_bytes(data)
    warehouse = WarehouseResource(url=f"duckdb:///{tmp_path / 'wh.duckdb'}")
    resources = {
        "landing": ObjectStoreResource(url=landing.as_uri(), s3=S3Resource()),
        "warehouse": warehouse,
        "settings": InfranautSettings(),
        "lake": ObjectStoreResource(url=(tmp_path / "lake").as_uri(), s3=S3Resource()),
    }
    sensor = build_landing_sensor()
    with dg.instance_for_test() as instance:
        result = _tick(sensor, instance, None, resources)
        got = sorted((r.job_name, r.partition_key.keys_by_dimension["model"]) for r in result.run_requests)
        assert got == [("inference_pipeline_job", "fraud_detector"), ("label_pipeline_job", "demand_forecaster")]
        assert all(r.partition_key.keys_by_dimension["date"] == today for r in result.run_requests)
        [add] = result.dynamic_partitions_requests
        assert sorted(add.partition_keys) == ["demand_forecaster", "fraud_detector"]
        rejected = warehouse.get_warehouse().query("SELECT key, reason, stage FROM rejected_drops")
        assert rejected.rows() == [
            (f"inferences/not_registered/dt={today}/x.csv",
             "model 'not_registered' is not in the model registry; register it, then re-upload", "sensor")
        ]

        instance.add_dynamic_partitions("models", ["demand_forecaster", "fraud_detector"])
        again = _tick(sensor, instance, result.cursor, resources)
        assert again.run_requests == [] and again.dynamic_partitions_requests == []

        (landing / f"inferences/fraud_detector/dt={today}/a.csv").write_bytes(b"prediction_id\n1\n2\n")
        os.utime(landing / f"inferences/fraud_detector/dt={today}/a.csv")
        changed = _tick(sensor, instance, again.cursor, resources)
        assert [r.job_name for r in changed.run_requests] == ["inference_pipeline_job"]
        assert changed.run_requests[0].tags["infranaut/new_files"] == "1"
