"""Hostile drops (issue 18): files and folder entries built to confuse ingestion are rejected with a reason,
and the good files beside them are still ingested."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
import pytest
from dagster_aws.s3 import S3Resource

from infranaut_pipelines.assets.ingestion import raw_inferences
from infranaut_pipelines.ingest.readers import UnreadableDrop, read_drop_with_report
from infranaut_pipelines.partitions import MODEL_PARTITIONS_NAME, partition_key
from infranaut_pipelines.resources.io_manager import LakeParquetIOManager
from infranaut_pipelines.resources.storage import InfranautSettings, ObjectStoreResource, WarehouseResource
from infranaut_pipelines.sensors.landing_sensor import build_landing_sensor
from tests.ingest.test_landing_sensor import _tick
from tests.ingest.test_readers import GOOD_ROWS, HEADER, _csv

DAY = dt.date(2026, 11, 20)
PREFIX = f"inferences/fraud_detector/dt={DAY.isoformat()}"


def _resources(tmp_path: Path) -> dict:
    lake = ObjectStoreResource(url=(tmp_path / "lake").as_uri(), s3=S3Resource())
    return {
        "landing": ObjectStoreResource(url=(tmp_path / "landing").as_uri(), s3=S3Resource()),
        "lake": lake,
        "warehouse": WarehouseResource(url=f"duckdb:///{tmp_path / 'wh.duckdb'}"),
        "settings": InfranautSettings(),
        "io_manager": LakeParquetIOManager(lake=lake),
    }


def _drop(tmp_path: Path, name: str, text: str, prefix: str = PREFIX) -> Path:
    path = tmp_path / "landing" / prefix / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _ingest(tmp_path: Path, resources: dict) -> dg.AssetMaterialization:
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(MODEL_PARTITIONS_NAME, ["fraud_detector"])
        result = dg.materialize(
            [raw_inferences], instance=instance, resources=resources,
            partition_key=str(partition_key(DAY, "fraud_detector")),
        )
        assert result.success
        [mat] = result.asset_materializations_for_node("raw_inferences")
        return mat


def _rejections(resources: dict) -> list[tuple[str, str, str]]:
    wh = resources["warehouse"].get_warehouse()
    return wh.query("SELECT key, reason, stage FROM rejected_drops ORDER BY key").rows()


def test_csv_naming_a_column_twice_is_refused_naming_it(tmp_path: Path, fraud) -> None:
    rows = [r + ",999" for r in GOOD_ROWS]
    path = _drop(tmp_path, "dup.csv", _csv(rows, header=HEADER + ", amount"))  # stray space: still "amount"
    with pytest.raises(UnreadableDrop, match="'amount' more than once"):
        read_drop_with_report(path, ".csv", fraud, "inferences", "dup.csv")


def test_duplicated_column_is_rejected_and_extra_columns_are_listed(tmp_path: Path) -> None:
    _drop(tmp_path, "dup.csv", _csv([r + ",999" for r in GOOD_ROWS], header=HEADER + ",amount"))
    _drop(tmp_path, "extra.csv", _csv([r + ",x" for r in GOOD_ROWS], header=HEADER + ",ammount_typo"))
    resources = _resources(tmp_path)
    meta = _ingest(tmp_path, resources).metadata
    assert meta["row_count"].value == len(GOOD_ROWS) and meta["files"].value == 1
    assert _rejections(resources) == [
        (f"{PREFIX}/dup.csv",
         "CSV header names column(s) 'amount' more than once; keep one column per name and re-upload",
         "ingestion"),
    ]
    assert meta["extra_columns"].value == f"- `{PREFIX}/extra.csv`: ammount_typo"


def _links(tmp_path: Path, prefix: str) -> tuple[str, str]:
    """A dangling symlink and one leading out of the landing folder, in ``prefix``; their keys."""
    folder = tmp_path / "landing" / prefix
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "gone.csv").symlink_to(tmp_path / "deleted-long-ago.csv")
    outside = tmp_path / "secrets.csv"
    outside.write_text(_csv(GOOD_ROWS))
    (folder / "escape.csv").symlink_to(outside)
    return f"{prefix}/gone.csv", f"{prefix}/escape.csv"


DANGLING = "dangling symlink: its target does not exist"
ESCAPING = "symlink points outside the landing folder; copy the file in instead"


def test_sensor_rejects_broken_and_escaping_links_and_requests_the_good_file(tmp_path: Path) -> None:
    today = dt.datetime.now(dt.timezone.utc).date().isoformat()
    prefix = f"inferences/fraud_detector/dt={today}"
    gone, escape = _links(tmp_path, prefix)
    _drop(tmp_path, "good.csv", _csv(GOOD_ROWS), prefix)
    resources = _resources(tmp_path)
    del resources["io_manager"]
    sensor = build_landing_sensor()
    with dg.instance_for_test() as instance:
        result = _tick(sensor, instance, None, resources)
        assert result.skip_reason is None  # the store is not "unreachable"
        [request] = result.run_requests
        assert request.job_name == "inference_pipeline_job" and request.tags["infranaut/new_files"] == "1"
        assert _rejections(resources) == [(escape, ESCAPING, "sensor"), (gone, DANGLING, "sensor")]
        # Reported once: the next tick neither re-rejects nor re-requests them.
        again = _tick(sensor, instance, result.cursor, resources)
        assert again.run_requests == [] and len(_rejections(resources)) == 2


def test_ingestion_rejects_links_and_ingests_the_good_file_beside_them(tmp_path: Path) -> None:
    gone, escape = _links(tmp_path, PREFIX)
    _drop(tmp_path, "good.csv", _csv(GOOD_ROWS))
    resources = _resources(tmp_path)
    meta = _ingest(tmp_path, resources).metadata  # no UnsafeKeyError, no retries
    assert meta["row_count"].value == len(GOOD_ROWS) and meta["files"].value == 1
    assert meta["rejected_files"].value == 2
    assert _rejections(resources) == [(escape, ESCAPING, "ingestion"), (gone, DANGLING, "ingestion")]
