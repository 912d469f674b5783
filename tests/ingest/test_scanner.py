"""scan(): which partitions get a run, which keys are rejected, and a cursor that stays small."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest

from infranaut_pipelines.ingest.scanner import ScanCursor, scan
from infranaut_pipelines.storage.object_store import ObjectInfo

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def obj(key: str, minutes_ago: float = 0, etag: str = "e1", size: int = 100, version_id: str | None = None) -> ObjectInfo:
    return ObjectInfo(key=key, size=size, etag=etag, last_modified=NOW - dt.timedelta(minutes=minutes_ago), version_id=version_id)


def roundtrip(cursor: ScanCursor) -> ScanCursor:
    """Every tick's cursor goes through JSON in the sensor; do the same here."""
    return ScanCursor.from_json(cursor.to_json())


def test_first_tick_groups_new_drops_by_partition(registry) -> None:
    objs = [
        obj("inferences/fraud_detector/dt=2026-11-20/a.parquet", 5),
        obj("inferences/fraud_detector/dt=2026-11-20/b.csv", 4),
        obj("labels/fraud_detector/dt=2026-11-19/l.jsonl", 3),
        obj("inferences/demand_forecaster/dt=2026-11-20/x.csv.gz", 2),
    ]
    result = scan(objs, ScanCursor(), registry, NOW)
    got = {(r.kind, r.model_id, r.partition_date): [o.key for o in r.objects] for r in result.requests}
    assert got == {
        ("inferences", "demand_forecaster", "2026-11-20"): ["inferences/demand_forecaster/dt=2026-11-20/x.csv.gz"],
        ("inferences", "fraud_detector", "2026-11-20"): [
            "inferences/fraud_detector/dt=2026-11-20/a.parquet",
            "inferences/fraud_detector/dt=2026-11-20/b.csv",
        ],
        ("labels", "fraud_detector", "2026-11-19"): ["labels/fraud_detector/dt=2026-11-19/l.jsonl"],
    }
    assert result.rejects == []
    assert result.new_models == ["demand_forecaster", "fraud_detector"]
    assert len({r.run_key for r in result.requests}) == 3
    again = scan(objs, roundtrip(result.cursor), registry, NOW)
    assert again.requests == [] and again.rejects == [] and again.new_models == []


def test_same_content_is_not_requested_again_new_content_is(registry) -> None:
    key = "inferences/fraud_detector/dt=2026-11-20/a.parquet"
    first = scan([obj(key, 10, etag="aaa")], ScanCursor(), registry, NOW)
    assert len(first.requests) == 1
    # Re-uploaded with identical bytes: S3 gives the same ETag (last_modified moves, the version does not).
    same = scan([obj(key, 1, etag="aaa")], roundtrip(first.cursor), registry, NOW)
    assert same.requests == []
    changed = scan([obj(key, 0, etag="bbb")], roundtrip(same.cursor), registry, NOW)
    assert [[o.etag for o in r.objects] for r in changed.requests] == [["bbb"]]
    assert changed.requests[0].run_key != first.requests[0].run_key
    # A versioned bucket: the version id, not the etag, identifies the content.
    versioned = scan([obj(key, 0, etag="bbb", version_id="v2")], roundtrip(changed.cursor), registry, NOW)
    assert len(versioned.requests) == 1


def test_late_object_with_older_timestamp_inside_lookback_is_seen_once(registry) -> None:
    cur = ScanCursor(lookback=dt.timedelta(hours=1))
    t1 = scan([obj("inferences/fraud_detector/dt=2026-11-20/new.csv", 0)], cur, registry, NOW)
    # Appears in the next listing with a timestamp 40 minutes older than the high-water mark
    # (a multipart upload that started earlier and finished now).
    late = obj("inferences/fraud_detector/dt=2026-11-20/slow-upload.csv", 40)
    t2 = scan([obj("inferences/fraud_detector/dt=2026-11-20/new.csv", 0), late], roundtrip(t1.cursor), registry, NOW)
    assert [[o.key for o in r.objects] for r in t2.requests] == [[late.key]]
    t3 = scan([late], roundtrip(t2.cursor), registry, NOW + dt.timedelta(minutes=5))
    assert t3.requests == []


def test_cursor_is_bounded_and_old_objects_are_not_rerequested(registry) -> None:
    cur = ScanCursor(lookback=dt.timedelta(minutes=30))
    listing: list[ObjectInfo] = []
    for hour in range(48):  # two days of hourly drops, all listed every tick
        tick = NOW - dt.timedelta(hours=47 - hour)
        key = f"inferences/fraud_detector/dt={tick.date()}/h{hour:02d}.csv"
        listing.append(obj(key, minutes_ago=(47 - hour) * 60))
        result = scan(listing, roundtrip(cur), registry, tick)
        assert [[o.key for o in r.objects] for r in result.requests] == [[listing[-1].key]]
        cur = result.cursor
        assert len(cur.seen) <= 2  # only what is inside the 30-minute window
    assert len(cur.to_json()) < 1000


def test_widening_the_lookback_does_not_rerequest(registry) -> None:
    listing = [obj(f"inferences/fraud_detector/dt=2026-11-20/f{i}.csv", minutes_ago=i * 20) for i in range(6)]
    narrow = scan(listing, ScanCursor(lookback=dt.timedelta(minutes=10)), registry, NOW)
    assert len(narrow.requests) == 1 and len(narrow.requests[0].objects) == 6
    wide = scan(listing, ScanCursor.from_json(narrow.cursor.to_json(), lookback=dt.timedelta(hours=3)), registry, NOW)
    assert wide.requests == []


def test_future_skewed_timestamp_does_not_push_the_floor(registry) -> None:
    skewed = obj("inferences/fraud_detector/dt=2026-11-20/skew.csv", minutes_ago=-24 * 60)  # mtime a day ahead
    t1 = scan([skewed], ScanCursor(), registry, NOW)
    assert len(t1.requests) == 1
    normal = obj("inferences/fraud_detector/dt=2026-11-20/ok.csv", minutes_ago=30)
    t2 = scan([skewed, normal], roundtrip(t1.cursor), registry, NOW)
    assert [[o.key for o in r.objects] for r in t2.requests] == [[normal.key]]


def test_ten_thousand_keys_give_one_request_per_partition_fast(registry) -> None:
    objs = [
        obj(f"{kind}/{model}/dt=2026-11-{day:02d}/part-{i:05d}.parquet", minutes_ago=i / 100)
        for i in range(10_000)
        for kind, model, day in [(("inferences", "labels")[i % 2], ("fraud_detector", "demand_forecaster")[i // 2 % 2], 15 + i % 5)]
    ]
    start = time.perf_counter()
    result = scan(objs, ScanCursor(), registry, NOW)
    elapsed = time.perf_counter() - start  # ~0.2 s on one shared core
    again = scan(objs, ScanCursor.from_json(result.cursor.to_json()), registry, NOW)
    expected = {tuple(o.key.split("/")[:3]) for o in objs}
    assert len(expected) == 20  # 2 kinds x 2 models x 5 days
    assert {(r.kind, r.model_id, f"dt={r.partition_date}") for r in result.requests} == expected
    assert len(result.requests) == 20
    assert sum(len(r.objects) for r in result.requests) == 10_000
    assert again.requests == []
    assert elapsed < 1.0, f"scanning 10,000 new keys took {elapsed:.2f}s"


def test_rejects_name_the_problem(registry) -> None:
    bad = {
        "inferences/fraud_detector/2026-11-20/a.csv": "missing 'dt=YYYY-MM-DD' folder",
        "inferences/fraud_detector/dt=2026-13-01/a.csv": "invalid date '2026-13-01' in 'dt='",
        "inferences/fraud_detector/dt=2026-11-20/../../etc/passwd.csv": "empty, '.' or '..' path segments are not allowed",
        "/inferences/fraud_detector/dt=2026-11-20/a.csv": "absolute or backslash paths are not allowed",
        "inferences/fraud_detector/dt=2026-11-20/a.xlsx": "unsupported file type",
        "inferences/unknown_model/dt=2026-11-20/a.csv": "model 'unknown_model' is not in the model registry",
        "inferences/fraud_detector/dt=2026-11-23/a.csv": "dt=2026-11-23 is in the future",
        "labels/fraud_detector/dt=2026-11-20/empty.csv": "empty (0-byte) object",
    }
    objs = [obj(k, size=0 if "empty" in k else 10) for k in bad]
    ok = obj("inferences/fraud_detector/dt=2026-11-21/tomorrow.csv")  # within max_future_days=1
    result = scan([*objs, ok], ScanCursor(), registry, NOW, max_future_days=1)
    reasons = {r.key: r.reason for r in result.rejects}
    assert set(reasons) == set(bad)
    for key, expected in bad.items():
        assert expected in reasons[key], (key, reasons[key])
    assert all(r.seen_at == NOW for r in result.rejects)
    assert result.requests == [] and result.new_models == []  # the unknown model is a reject, not a new model
    # Each bad version is reported once, not on every tick.
    assert scan([*objs, ok], roundtrip(result.cursor), registry, NOW).rejects == []


def test_drop_for_tomorrow_waits_for_its_partition(registry) -> None:
    tomorrow = obj("inferences/fraud_detector/dt=2026-11-21/early.csv")
    t1 = scan([tomorrow], ScanCursor(), registry, NOW, max_future_days=1)
    assert t1.requests == [] and t1.rejects == []
    later_today = NOW + dt.timedelta(hours=6)  # the object has long left the lookback window by then
    t2 = scan([tomorrow], roundtrip(t1.cursor), registry, later_today)
    assert t2.requests == []
    t3 = scan([tomorrow], roundtrip(t2.cursor), registry, NOW + dt.timedelta(hours=12, minutes=1))
    assert [(r.partition_date, [o.key for o in r.objects]) for r in t3.requests] == [("2026-11-21", [tomorrow.key])]
    assert t3.new_models == ["fraud_detector"]
    assert scan([tomorrow], roundtrip(t3.cursor), registry, NOW + dt.timedelta(hours=13)).requests == []


def test_drop_before_the_first_partition_day_is_rejected(registry) -> None:
    old = obj("inferences/fraud_detector/dt=2025-12-31/old.csv")
    result = scan([old], ScanCursor(), registry, NOW, first_day=dt.date(2026, 1, 1))
    assert [r.reason for r in result.rejects] == ["dt=2025-12-31 is before the first partition day (2026-01-01)"]


def test_run_key_depends_on_partition_and_versions_not_order(registry) -> None:
    a = obj("inferences/fraud_detector/dt=2026-11-20/a.csv", etag="1")
    b = obj("inferences/fraud_detector/dt=2026-11-20/b.csv", etag="2")
    k1 = scan([a, b], ScanCursor(), registry, NOW).requests[0].run_key
    k2 = scan([b, a], ScanCursor(), registry, NOW).requests[0].run_key
    assert k1 == k2 and k1.startswith("inferences:fraud_detector:2026-11-20:")


def test_cursor_json_is_plain_json() -> None:
    cur = ScanCursor(high_water=NOW, seen={("k", "t"): NOW}, known_models={"m1"})
    raw = json.loads(cur.to_json())
    assert raw["high_water"] == NOW.isoformat() and raw["models"] == ["m1"]
    back = ScanCursor.from_json(cur.to_json())
    assert back.seen == cur.seen and back.high_water == NOW and back.known_models == {"m1"}
    with pytest.raises(ValueError):
        ScanCursor.from_json('{"v": 99}')
