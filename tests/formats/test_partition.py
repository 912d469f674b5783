"""What the ingestion asset reads for a KServe and an inference-table model, from a real (local) landing store."""

import datetime as dt
import json
import os
from pathlib import Path

from infranaut_pipelines.ingest.formats.partition import read_partition
from infranaut_pipelines.registry import parse_registry
from infranaut_pipelines.storage import LocalStore
from tests.formats.fixtures import inference_table_parquet, kserve_object

REGISTRY = parse_registry("""\
models:
  - id: isvc_eta
    task: regression
    features: [{name: distance_km, type: float}, {name: parcels, type: int}, {name: zone, type: category}]
    prediction: {column: eta_hours}
    source: {format: kserve, prefix: kserve-logs/logistics/parcel-eta/predictor, grace_minutes: 30}
  - id: table_eta
    task: regression
    features: [{name: distance_km, type: float}, {name: parcels, type: int}, {name: zone, type: category}]
    prediction: {column: eta_hours}
    source: {format: inference_table, prefix: exports/eta_payload}
""")
DAY = dt.date(2026, 11, 3)
NOON = dt.datetime(2026, 11, 3, 12, tzinfo=dt.timezone.utc)


def _put(store: LocalStore, key: str, data: bytes, when: dt.datetime) -> None:
    store.write_bytes(key, data)
    os.utime(store.root / key, (when.timestamp(), when.timestamp()))


def test_kserve_pairs_of_the_day_are_read_and_the_unmatched_wait_then_count(tmp_path: Path) -> None:
    store, folder = LocalStore(tmp_path), "kserve-logs/logistics/parcel-eta/predictor/"
    for i in range(3):
        _put(store, f"{folder}r{i}-request.json", kserve_object(f"r{i}", "request", {"instances": [[1.0 + i, 2, "n"]]}), NOON)
        _put(store, f"{folder}r{i}-response.json", kserve_object(f"r{i}", "response", {"predictions": [3.0]}), NOON)
    _put(store, f"{folder}late-request.json", kserve_object("late", "request", {"instances": [[1, 1, "s"]]}), NOON)
    _put(store, f"{folder}other-day-request.json", kserve_object("x", "request", {"instances": [[1, 1, "s"]]}),
         NOON + dt.timedelta(days=1))
    spec = REGISTRY.model("isvc_eta")

    soon = read_partition(store, REGISTRY, spec, "inferences", DAY, NOON + dt.timedelta(minutes=10))
    assert sum(f.height for f in soon.frames) == 3 and len(soon.listed) == 7
    assert soon.notes["waiting_for_counterpart"] == f"{folder}late-request.json"
    assert soon.notes["not_available"] == "latency_ms"

    later = read_partition(store, REGISTRY, spec, "inferences", DAY, NOON + dt.timedelta(minutes=31))
    rows = [r for f in later.frames for r in f.iter_rows(named=True)]
    assert len(rows) == 4 and later.notes["records_read"] == "4" and later.notes["records_undecodable"] == "1"
    late = next(r for r in rows if r["prediction_id"] == "late")
    assert "without its response after 30 minute(s)" in late["_ingest_errors"][0]


def test_an_inference_table_export_of_the_day_is_read_and_a_foreign_parquet_rejected(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    row = {"databricks_request_id": "d1", "timestamp_ms": int(NOON.timestamp() * 1000), "status_code": 200,
           "execution_time_ms": 12, "request": json.dumps({"instances": [[2.0, 1, "e"]]}),
           "response": json.dumps({"predictions": [4.0]})}
    store.write_bytes("exports/eta_payload/date=2026-11-03/part-0.parquet", inference_table_parquet([row]))
    store.write_bytes("exports/eta_payload/date=2026-11-03/part-1.parquet", inference_table_parquet([{"x": 1}]))
    store.write_bytes("exports/eta_payload/date=2026-11-04/part-0.parquet", inference_table_parquet([row]))
    got = read_partition(store, REGISTRY, REGISTRY.model("table_eta"), "inferences", DAY, NOON)
    assert [f.height for f in got.frames] == [1]
    assert got.frames[0].row(0, named=True)["latency_ms"] == 12.0
    assert [(r.key.rsplit("/", 1)[1], "databricks_request_id" in r.reason) for r in got.rejections] == [
        ("part-1.parquet", True)]
    assert got.notes["not_available"] == "none"
