"""SageMaker capture and ground truth: each encoding, both capture modes, the bad-record cases, the counts."""

import base64
import datetime as dt
import json

import polars as pl
import pytest

from infranaut_pipelines.ingest.formats.sagemaker import decode_capture, decode_ground_truth
from infranaut_pipelines.ingest.readers import read_records
from infranaut_pipelines.validation import validate_batch
from tests.formats.fixtures import capture_record, ground_truth_record, jsonl, model

WHEN = dt.datetime(2026, 11, 3, 17, 25, 49, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def spec():
    return model()


@pytest.mark.parametrize("encoding", ["CSV", "JSON", "BASE64"])
def test_each_encoding_gives_the_same_typed_row(spec, encoding: str) -> None:
    content = jsonl([capture_record("ev-1", WHEN, [12.5, 3, "north"], 4.25, encoding=encoding)])
    decoded = decode_capture(content, spec, variant="AllTraffic")
    frame = read_records(decoded.rows, decoded.errors, spec, "inferences", "k")
    assert frame.height == 1 and frame["_ingest_errors"].to_list() == [[]]
    row = frame.row(0, named=True)
    assert (row["distance_km"], row["parcels"], row["zone"], row["eta_hours"]) == (12.5, 3, "north", 4.25)
    assert row["timestamp"] == WHEN and row["prediction_id"] == "ev-1" and row["model_version"] == "AllTraffic"
    # Capture has no latency: null, and said so; the captured response makes the call 'ok'.
    assert row["latency_ms"] is None and row["status"] == "ok"
    assert decoded.not_available == ("latency_ms",)


def test_inference_id_is_the_key_when_the_caller_set_one(spec) -> None:
    decoded = decode_capture(jsonl([capture_record("ev-1", WHEN, [1, 1, "a"], 1.0, inference_id="order-77")]), spec)
    assert decoded.rows[0]["prediction_id"] == "order-77"


def test_input_only_and_output_only_capture_modes(spec) -> None:
    records = [capture_record("in-only", WHEN, [5, 2, "east"], None), capture_record("out-only", WHEN, None, 2.5)]
    decoded = decode_capture(jsonl(records), spec)
    frame = read_records(decoded.rows, decoded.errors, spec, "inferences", "k")
    by_id = {r["prediction_id"]: r for r in frame.iter_rows(named=True)}
    assert by_id["in-only"]["distance_km"] == 5.0 and by_id["in-only"]["eta_hours"] is None
    assert by_id["in-only"]["status"] is None and by_id["out-only"]["status"] == "ok"
    assert by_id["out-only"]["eta_hours"] == 2.5 and by_id["out-only"]["zone"] is None


def test_json_shapes_by_key_features_list_and_batches(spec) -> None:
    inp = lambda body: {"observedContentType": "application/json", "mode": "INPUT", "data": json.dumps(body), "encoding": "JSON"}  # noqa: E731
    out = lambda body: {"observedContentType": "application/json", "mode": "OUTPUT", "data": json.dumps(body), "encoding": "JSON"}  # noqa: E731
    meta = {"eventId": "b", "inferenceTime": "2026-11-03T17:00:00Z"}
    records = [
        {"captureData": {"endpointInput": inp({"distance_km": 1, "parcels": 2, "zone": "x"}), "endpointOutput": out(3.0)},
         "eventMetadata": {**meta, "eventId": "obj"}, "eventVersion": "0"},
        {"captureData": {"endpointInput": inp({"features": [4, 5, "y"]}), "endpointOutput": out({"predictions": [6.0]})},
         "eventMetadata": {**meta, "eventId": "feat"}, "eventVersion": "0"},
        {"captureData": {"endpointInput": inp({"instances": [[7, 8, "z"], {"features": [9, 10, "w"]}]}),
                         "endpointOutput": out({"predictions": [{"score": 1.5}, {"score": 2.5}]})},
         "eventMetadata": {**meta, "eventId": "batch"}, "eventVersion": "0"},
    ]
    decoded = decode_capture(jsonl(records), spec)
    assert decoded.with_errors == 0
    got = {r["prediction_id"]: (r["distance_km"], r["zone"], r["eta_hours"]) for r in decoded.rows}
    assert got == {"obj": ("1", "x", "3.0"), "feat": ("4", "y", "6.0"), "batch#0": ("7", "z", "1.5"),
                   "batch#1": ("9", "w", "2.5")}


def test_bad_records_are_quarantined_with_a_reason_and_every_record_counted(spec) -> None:
    good = capture_record("good", WHEN, [3, 1, "north"], 1.0)
    bad_b64 = capture_record("b64", WHEN, [3, 1, "north"], 1.0, encoding="BASE64")
    bad_b64["captureData"]["endpointInput"]["data"] = "!!not base64!!"
    wrong_fields = capture_record("fields", WHEN, [3, 1], 1.0)
    not_object = capture_record("notobj", WHEN, None, 1.0)
    not_object["captureData"]["endpointInput"] = {"observedContentType": "application/json", "mode": "INPUT",
                                                  "data": "42", "encoding": "JSON"}
    lacks = capture_record("lacks", WHEN, None, 1.0)
    lacks["captureData"]["endpointInput"] = {"observedContentType": "application/json", "mode": "INPUT",
                                             "data": json.dumps({"distance_km": 1, "zone": "a"}), "encoding": "JSON"}
    no_event = capture_record("", WHEN, [3, 1, "north"], 1.0)
    del no_event["eventMetadata"]["eventId"]
    lines = jsonl([good, bad_b64, wrong_fields, not_object, lacks, no_event])
    cut = json.dumps(good)[:57]  # the last line of a file cut in half by an interrupted upload
    decoded = decode_capture(lines + cut.encode(), spec)
    reasons = {i: " ".join(e) for i, e in enumerate(decoded.errors) if e}
    assert decoded.read == 7 and decoded.with_errors == 6
    assert "base64" in reasons[1] and "b64" in reasons[1]
    assert "2 field(s)" in reasons[2] and "3 feature(s)" in reasons[2]
    assert "not an object" in reasons[3]
    assert "parcels" in reasons[4]
    assert "eventId" in reasons[5]
    assert "line 7" in reasons[6] and "cut short" in reasons[6]

    frame = read_records(decoded.rows, decoded.errors, spec, "inferences", "k")
    outcome = validate_batch(frame, spec, WHEN.date())
    assert frame.height == decoded.read == outcome.valid.height + outcome.quarantine.height
    assert outcome.valid["prediction_id"].to_list() == ["good"]
    quarantined = " ".join(str(r) for r in outcome.quarantine["quarantine_reasons"].to_list())
    assert "base64" in quarantined and "cut short" in quarantined


def test_ground_truth_joins_on_inference_id_else_event_id(spec) -> None:
    with_id = decode_capture(jsonl([capture_record("ev-9", WHEN, [1, 1, "a"], 2.0, inference_id="order-9")]), spec)
    without = decode_capture(jsonl([capture_record("ev-8", WHEN, [1, 1, "a"], 3.0)]), spec)
    truth = decode_ground_truth(jsonl([ground_truth_record("order-9", 2.5), ground_truth_record("ev-8", 3.5)]),
                                spec, collected_at="2026-11-04T09:00:00+00:00")
    labels = read_records(truth.rows, truth.errors, spec, "labels", "gt")
    preds = pl.concat([read_records(d.rows, d.errors, spec, "inferences", "c") for d in (with_id, without)])
    joined = preds.join(labels, on="prediction_id", how="inner")
    assert sorted(zip(joined["eta_hours"], joined["actual_hours"])) == [(2.0, 2.5), (3.0, 3.5)]
    assert labels["_ingest_errors"].to_list() == [[], []]


def test_ground_truth_without_event_id_or_with_bad_base64_is_quarantined(spec) -> None:
    bad = {"groundTruthData": {"data": base64.b64encode(b"1").decode()[:-1] + "%", "encoding": "BASE64"},
           "eventMetadata": {"eventId": "x"}, "eventVersion": "0"}
    missing = {"groundTruthData": {"data": "1", "encoding": "CSV"}, "eventMetadata": {}, "eventVersion": "0"}
    truth = decode_ground_truth(jsonl([bad, missing]), spec, collected_at="2026-11-04T09:00:00+00:00")
    assert truth.read == 2 and truth.with_errors == 2
    assert "base64" in truth.errors[0][0] and "eventId" in truth.errors[1][0]
