"""Against a real S3 API (moto over HTTP): listing paginates, scan() sees every key, reads work."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import polars as pl

from infranaut_pipelines.ingest.contract import parse_drop_key
from infranaut_pipelines.ingest.readers import read_drop
from infranaut_pipelines.ingest.scanner import ScanCursor, scan
from infranaut_pipelines.storage.object_store import S3Store, open_store
from tests.s3_server import S3Bucket, s3_bucket, s3_server  # noqa: F401 - fixtures

N_OBJECTS = 1_150  # more than one list_objects_v2 page (1,000 keys)


def test_listing_paginates_and_scan_sees_every_key(s3_bucket: S3Bucket, registry) -> None:  # noqa: F811
    store = S3Store(s3_bucket.name, "landing", s3_bucket.client)
    keys = [
        f"inferences/{('fraud_detector', 'demand_forecaster')[i % 2]}/dt=2026-11-{18 + i % 3:02d}/part-{i:05d}.csv"
        for i in range(N_OBJECTS)
    ]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda k: store.write_bytes(k, f"prediction_id\n{k}\n".encode()), keys))
    store.write_bytes("inferences/fraud_detector/no-date/oops.csv", b"x\n")

    listed = list(store.list())
    assert sorted(o.key for o in listed) == sorted([*keys, "inferences/fraud_detector/no-date/oops.csv"])
    now = max(o.last_modified for o in listed)
    result = scan(listed, ScanCursor(), registry, now)
    assert sum(len(r.objects) for r in result.requests) == N_OBJECTS
    assert len(result.requests) == 6  # 2 models x 3 days
    assert [r.key for r in result.rejects] == ["inferences/fraud_detector/no-date/oops.csv"]

    # Same bytes uploaded again -> same ETag -> nothing new; different bytes -> one new request.
    store.write_bytes(keys[0], f"prediction_id\n{keys[0]}\n".encode())
    store.write_bytes(keys[1], b"prediction_id\nchanged\n")
    listed = list(store.list())
    again = scan(listed, ScanCursor.from_json(result.cursor.to_json()), registry, max(o.last_modified for o in listed))
    assert [[o.key for o in r.objects] for r in again.requests] == [[keys[1]]]


def test_read_a_drop_downloaded_from_s3(s3_bucket: S3Bucket, fraud) -> None:  # noqa: F811
    # Built from the environment (AWS_ENDPOINT_URL etc.), as the Dagster resource does.
    store = open_store(f"s3://{s3_bucket.name}/landing")
    key = "inferences/fraud_detector/dt=2026-11-20/batch.parquet"
    frame = pl.DataFrame(
        {
            "prediction_id": ["a", "b"],
            "model_id": ["fraud_detector"] * 2,
            "model_version": ["v1"] * 2,
            "timestamp": [dt.datetime(2026, 11, 20, 1), dt.datetime(2026, 11, 20, 2)],
            "latency_ms": [5.0, 6.0],
            "status": ["ok", "ok"],
            "amount": [1.0, 2.0],
            "score": [0.2, 0.9],
        }
    )
    import io

    buf = io.BytesIO()
    frame.write_parquet(buf)
    store.write_bytes(key, buf.getvalue())
    with store.local_copy(key) as path:
        df = read_drop(path, parse_drop_key(key).extension, fraud, "inferences", key)
    assert df["prediction_id"].to_list() == ["a", "b"]
    # The non-nullable columns are present; the nullable features absent from this file are filled with nulls.
    assert df["_ingest_errors"].to_list() == [[], []]
    assert df["merchant_category"].null_count() == 2
