"""KServe payload-logger objects (V1 and V2, the unmatched after the grace period) and an inference-table export."""

import datetime as dt
import json

import pytest

from infranaut_pipelines.ingest.formats.inference_table import UnreadableExport, decode_inference_table
from infranaut_pipelines.ingest.formats.kserve import LoggedObject, decode_kserve
from infranaut_pipelines.ingest.readers import read_records
from tests.formats.fixtures import inference_table_parquet, kserve_object, model

NOW = dt.datetime(2026, 11, 3, 12, 0, tzinfo=dt.timezone.utc)
GRACE = dt.timedelta(minutes=60)


@pytest.fixture(scope="module")
def spec():
    return model()


def obj(rid: str, rtype: str, body: dict, age_min: int = 5) -> LoggedObject:
    return LoggedObject(f"logs/{rid}-{rtype}.json", kserve_object(rid, rtype, body), NOW - dt.timedelta(minutes=age_min))


def test_v1_and_v2_requests_join_their_responses(spec) -> None:
    v2_in = {"inputs": [{"name": "distance_km", "shape": [2], "datatype": "FP32", "data": [3.5, 9.0]},
                        {"name": "parcels", "shape": [2], "datatype": "INT32", "data": [2, 4]},
                        {"name": "zone", "shape": [2], "datatype": "BYTES", "data": ["n", "s"]}]}
    v2_out = {"model_name": "parcel-eta", "outputs": [{"name": "eta_hours", "shape": [2], "datatype": "FP32",
                                                       "data": [1.25, 2.5]}]}
    objects = [
        obj("r1", "request", {"instances": [[12.0, 3, "north"]]}), obj("r1", "response", {"predictions": [4.5]}),
        obj("r2", "response", v2_out), obj("r2", "request", v2_in),
    ]
    decoded = decode_kserve(objects, spec, NOW, GRACE)
    frame = read_records(decoded.rows, decoded.errors, spec, "inferences", "logs/")
    got = {r["prediction_id"]: (r["distance_km"], r["parcels"], r["zone"], r["eta_hours"], r["status"])
           for r in frame.iter_rows(named=True)}
    assert got == {"r1": (12.0, 3, "north", 4.5, "ok"), "r2#0": (3.5, 2, "n", 1.25, "ok"),
                   "r2#1": (9.0, 4, "s", 2.5, "ok")}
    assert frame["_ingest_errors"].list.len().sum() == 0 and frame["latency_ms"].null_count() == 3
    assert decoded.not_available == ("latency_ms",)


def test_an_unmatched_message_waits_for_the_grace_period_then_is_quarantined(spec) -> None:
    objects = [obj("young", "request", {"instances": [[1, 1, "a"]]}, age_min=10),
               obj("old", "response", {"predictions": [1.0]}, age_min=90),
               obj("lonely", "request", {"instances": [[1, 1, "a"]]}, age_min=61)]
    decoded = decode_kserve(objects, spec, NOW, GRACE)
    assert decoded.waiting == ["logs/young-request.json"]
    reasons = {r["prediction_id"]: e for r, e in zip(decoded.rows, decoded.errors)}
    assert "response without its request after 60 minute(s)" in reasons["old"][0]
    assert "request without its response" in reasons["lonely"][0]


def test_bad_kserve_objects_are_counted_rows_with_reasons(spec) -> None:
    bad_bytes = json.loads(kserve_object("b", "request", {}))
    bad_bytes[0]["Bytes"] = "%%%"
    objects = [LoggedObject("logs/b-request.json", json.dumps(bad_bytes).encode(), NOW),
               obj("b", "response", {"predictions": [1.0]}),
               LoggedObject("logs/cut-request.json", kserve_object("cut", "request", {})[:40], NOW)]
    decoded = decode_kserve(objects, spec, NOW, GRACE)
    text = " | ".join(" ".join(e) for e in decoded.errors)
    assert decoded.read == 2 and decoded.with_errors == 2
    assert "base64" in text and "cut short" in text


def test_an_inference_table_export_gives_status_latency_and_features(spec) -> None:
    rows = [
        {"databricks_request_id": "d1", "timestamp_ms": 1_793_700_000_000, "status_code": 200, "execution_time_ms": 41,
         "request": json.dumps({"dataframe_records": [{"distance_km": 5.0, "parcels": 2, "zone": "e"}]}),
         "response": json.dumps({"predictions": [3.0]})},
        {"databricks_request_id": "d2", "timestamp_ms": 1_793_700_001_000, "status_code": 500, "execution_time_ms": 7,
         "request": json.dumps({"dataframe_split": {"columns": ["distance_km", "parcels", "zone"], "data": [[1, 1, "w"]]}}),
         "response": json.dumps({"error_code": "INTERNAL_ERROR"})},
        {"databricks_request_id": "d3", "timestamp_ms": 1_793_700_002_000, "status_code": 200, "execution_time_ms": 9,
         "request": "{not json", "response": json.dumps({"predictions": [1.0]})},
    ]
    decoded = decode_inference_table(inference_table_parquet(rows), spec)
    frame = read_records(decoded.rows, decoded.errors, spec, "inferences", "export.parquet")
    by_id = {r["prediction_id"]: r for r in frame.iter_rows(named=True)}
    assert (by_id["d1"]["status"], by_id["d1"]["latency_ms"], by_id["d1"]["eta_hours"]) == ("ok", 41.0, 3.0)
    assert by_id["d1"]["timestamp"] == dt.datetime.fromtimestamp(1_793_700_000, dt.timezone.utc)
    assert (by_id["d2"]["status"], by_id["d2"]["eta_hours"], by_id["d2"]["zone"]) == ("error", None, "w")
    assert any("request is not valid JSON" in e for e in by_id["d3"]["_ingest_errors"])


def test_a_parquet_without_the_table_columns_is_rejected_whole(spec) -> None:
    with pytest.raises(UnreadableExport, match="databricks_request_id"):
        decode_inference_table(inference_table_parquet([{"x": 1}]), spec)
    with pytest.raises(UnreadableExport, match="not a readable parquet"):
        decode_inference_table(b"PAR1 but not really", spec)
