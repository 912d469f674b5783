"""Which (kind, model, day) a landing key belongs to, for every declared layout, and the scanner's use of it."""

import datetime as dt

import pytest

from infranaut_pipelines.ingest.contract import BadDropKey
from infranaut_pipelines.ingest.formats.layout import listing_prefixes, locate
from infranaut_pipelines.ingest.scanner import ScanCursor, scan
from infranaut_pipelines.registry import parse_registry
from infranaut_pipelines.storage.object_store import ObjectInfo
from tests.formats.fixtures import MODEL, REGISTRY_YAML, capture_key, ground_truth_key

EXTRA = """\
  - id: isvc_eta
    task: regression
    features: [{name: x, type: float}]
    source: {format: kserve, prefix: kserve-logs/logistics/parcel-eta/predictor}
  - id: table_eta
    task: regression
    features: [{name: x, type: float}]
    source: {format: inference_table, prefix: exports/eta_payload}
"""
REGISTRY = parse_registry(REGISTRY_YAML + EXTRA)
T = dt.datetime(2026, 11, 3, 23, 59, tzinfo=dt.timezone.utc)


def test_each_layout_gives_kind_model_and_day() -> None:
    cap = locate(capture_key(T), T, REGISTRY)
    assert cap and (cap.kind, cap.model_id, cap.date) == ("inferences", MODEL, dt.date(2026, 11, 3))
    gt = locate(ground_truth_key(T), T, REGISTRY)  # collected on the 3rd, lag_days 1: completes the 2nd
    assert gt and (gt.kind, gt.model_id, gt.date) == ("labels", MODEL, dt.date(2026, 11, 2))
    ks = locate("kserve-logs/logistics/parcel-eta/predictor/5f1c-response.json", T, REGISTRY)
    assert ks and (ks.model_id, ks.date) == ("isvc_eta", dt.date(2026, 11, 3))
    tb = locate("exports/eta_payload/date=2026-11-01/part-0.parquet", T, REGISTRY)
    assert tb and (tb.model_id, tb.date) == ("table_eta", dt.date(2026, 11, 1))
    assert locate("inferences/parcel_eta/dt=2026-11-03/a.parquet", T, REGISTRY) is None  # the contract's own


@pytest.mark.parametrize(("key", "words"), [
    ("datacapture/parcel-eta-prod/AllTraffic/2026/11/03/capture.jsonl", "yyyy/mm/dd/hh"),
    ("datacapture/parcel-eta-prod/AllTraffic/2026/11/03/17/capture.csv", ".jsonl"),
    ("datacapture/parcel-eta-prod/AllTraffic/2026/13/03/17/capture.jsonl", "invalid date"),
    ("datacapture/parcel-eta-prod/AllTraffic/2026/11/03/24/capture.jsonl", "invalid hour"),
    ("kserve-logs/logistics/parcel-eta/predictor/abc.json", "-<request|response>.json"),
    ("exports/eta_payload/part-0.parquet", "date=YYYY-MM-DD"),
])
def test_keys_in_a_source_folder_off_its_layout_are_rejected_with_the_layout(key: str, words: str) -> None:
    with pytest.raises(BadDropKey, match=words.replace("|", "\\|").replace(".", "\\.")):
        locate(key, T, REGISTRY)


def test_ingestion_lists_the_folders_that_map_to_the_partition() -> None:
    spec = REGISTRY.model(MODEL)
    assert listing_prefixes(spec, "inferences", dt.date(2026, 11, 3)) == ["datacapture/parcel-eta-prod/AllTraffic/2026/11/03/"]
    assert listing_prefixes(spec, "labels", dt.date(2026, 11, 2)) == ["groundtruth/parcel-eta/2026/11/03/"]


def test_the_scanner_requests_serving_log_partitions_and_rejects_off_layout_keys() -> None:
    objs = [ObjectInfo(capture_key(T.replace(hour=h)), 10, f"e{h}", T) for h in (1, 2)]
    objs += [ObjectInfo(ground_truth_key(T), 10, "g", T),
             ObjectInfo("datacapture/parcel-eta-prod/AllTraffic/oops.jsonl", 10, "x", T)]
    result = scan(objs, ScanCursor(), REGISTRY, now=T + dt.timedelta(hours=1))
    got = sorted((r.kind, r.model_id, r.partition_date, len(r.objects)) for r in result.requests)
    assert got == [("inferences", MODEL, "2026-11-03", 2), ("labels", MODEL, "2026-11-02", 1)]
    assert [r.key for r in result.rejects] == ["datacapture/parcel-eta-prod/AllTraffic/oops.jsonl"]
    assert "yyyy/mm/dd/hh" in result.rejects[0].reason
    assert result.rejects[0].model_id == MODEL  # filed under its model, not a path segment
    again = scan(objs, result.cursor, REGISTRY, now=T + dt.timedelta(hours=1))
    assert again.requests == [] and again.rejects == []  # the cursor guarantee holds for these keys too
