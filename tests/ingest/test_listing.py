"""Bounded listing (issue 18), the pure parts: which ranges a tick lists, and S3 event messages read as drops."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from infranaut_pipelines.ingest.contract import DropKind
from infranaut_pipelines.ingest.events import parse_event_message
from infranaut_pipelines.ingest.listing import ListRange, in_ranges, listing_window, plan_ranges
from infranaut_pipelines.ingest.scanner import ScanCursor
from infranaut_pipelines.storage import LocalStore

NOW = dt.datetime(2026, 12, 10, 9, 30, tzinfo=dt.timezone.utc)


def test_window_is_the_recent_days_clipped_at_the_first_partition_day() -> None:
    w = listing_window(NOW, days_back=7, max_future_days=1, first_day=dt.date(2026, 11, 1))
    assert (w.first, w.last) == (dt.date(2026, 12, 3), dt.date(2026, 12, 11))
    clipped = listing_window(NOW, days_back=60, max_future_days=0, first_day=dt.date(2026, 11, 1))
    assert (clipped.first, clipped.last) == (dt.date(2026, 11, 1), dt.date(2026, 12, 10))


def test_ranges_cover_exactly_the_window_days_of_each_registered_model() -> None:
    w = listing_window(NOW, days_back=2, max_future_days=1, first_day=None)
    ranges = plan_ranges(["churn", "churn_v2"], w)
    assert len(ranges) == 4  # two models x two kinds: a tick's LIST calls do not grow with the days
    covered = {
        "inferences/churn/dt=2026-12-07/a.csv": False,  # before the window
        "inferences/churn/dt=2026-12-08/a.csv": True,
        "labels/churn/dt=2026-12-10/l.parquet": True,
        "inferences/churn/dt=2026-12-11/a.csv": True,  # pending (tomorrow)
        "inferences/churn/dt=2027-03-01/a.csv": True,  # far future: listed so it is rejected with a reason
        "inferences/churn_v2/dt=2026-12-09/a.csv": True,
        "inferences/churn_v3/dt=2026-12-09/a.csv": False,  # not registered: the sweep reports it
        "stray.csv": False,
    }
    assert {k: in_ranges(k, ranges) for k in covered} == covered


def test_a_model_with_another_layout_answers_with_its_own_ranges() -> None:
    def hourly(model_id: str, kind: DropKind, first: dt.date, last: dt.date) -> list[ListRange]:
        days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
        return [ListRange(f"{kind}/{model_id}/{d:%Y/%m/%d}/") for d in days]

    w = listing_window(NOW, days_back=1, max_future_days=0, first_day=None)
    ranges = plan_ranges(["churn", "endpoint"], w, planners={"endpoint": hourly})
    got = {r.prefix for r in ranges if "endpoint" in r.prefix}
    assert got == {f"{k}/endpoint/2026/12/{d}/" for k in ("inferences", "labels") for d in ("09", "10")}
    assert ListRange("inferences/churn/", "inferences/churn/dt=2026-12-09") in ranges


def test_local_listing_slices_like_s3_start_after_and_max_keys(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    keys = [f"inferences/m{m}/dt=2026-12-0{d}/f{i}.csv" for m in (1, 2) for d in (1, 2, 3) for i in (1, 2)]
    for k in keys:
        store.write_bytes(k, b"x\n")
    everything = [o.key for o in store.list()]
    assert everything == sorted(keys)
    after = "inferences/m1/dt=2026-12-02"
    assert [o.key for o in store.list("inferences/m1/", start_after=after)] == [
        k for k in sorted(keys) if k.startswith("inferences/m1/") and k > after]
    # Slices of 5 resumed from the last key give back the whole listing, once.
    sliced, last = [], ""
    while True:
        page = [o.key for o in store.list("", start_after=last, limit=5)]
        sliced += page
        if len(page) < 5:
            break
        last = page[-1]
    assert sliced == everything


def _event(key: str, bucket: str = "drops", name: str = "ObjectCreated:Put", etag: str = "abc") -> dict:
    return {"eventName": name, "eventTime": "2026-12-10T09:29:58.123Z",
            "s3": {"bucket": {"name": bucket}, "object": {"key": key, "size": 12, "eTag": etag, "versionId": "v7"}}}


def test_created_events_become_landing_objects_relative_to_the_prefix() -> None:
    body = json.dumps({"Records": [
        _event("landing/inferences/churn/dt=2026-12-10/part+1%C3%A9.csv"),
        _event("landing/inferences/churn/dt=2026-12-10/gone.csv", name="ObjectRemoved:Delete"),
        _event("landing/x.csv", bucket="other"),
        _event("elsewhere/inferences/churn/dt=2026-12-10/a.csv"),
    ]})
    parsed = parse_event_message(body, "drops", "landing")
    [obj] = parsed.objects
    assert obj.key == "inferences/churn/dt=2026-12-10/part 1\u00e9.csv"  # URL-decoded, prefix removed
    assert (obj.size, obj.version_token) == (12, "abc")  # the ETag, as a listing would give
    assert obj.last_modified == dt.datetime(2026, 12, 10, 9, 29, 58, 123000, tzinfo=dt.timezone.utc)
    assert not parsed.malformed and len(parsed.notes) == 3
    assert any("ObjectRemoved" in n for n in parsed.notes) and any("another bucket" in n for n in parsed.notes)


def test_sns_wrapped_test_and_malformed_messages_are_explained_not_raised() -> None:
    inner = json.dumps({"Records": [_event("inferences/churn/dt=2026-12-10/a.csv")]})
    wrapped = parse_event_message(json.dumps({"Type": "Notification", "Message": inner}), "drops", "")
    assert [o.key for o in wrapped.objects] == ["inferences/churn/dt=2026-12-10/a.csv"]
    test = parse_event_message(json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent"}), "drops", "")
    assert test.objects == [] and not test.malformed and "test event" in test.notes[0]
    for body in ("not json", "[1, 2]", json.dumps({"Records": "x"}), json.dumps({"Records": [{"eventName": 3}]})):
        bad = parse_event_message(body, "drops", "")
        assert bad.objects == [] and bad.malformed and bad.notes[0].startswith("malformed message")
    # One bad record does not hide the good one beside it.
    mixed = parse_event_message(json.dumps({"Records": [{"s3": {}}, _event("inferences/c/dt=2026-12-10/b.csv")]}),
                                "drops", "")
    assert [o.key for o in mixed.objects] == ["inferences/c/dt=2026-12-10/b.csv"] and mixed.malformed


def test_cursor_keeps_the_sweep_and_the_handles_and_reads_older_cursors() -> None:
    c = ScanCursor(high_water=NOW, sweep_after="inferences/m/dt=2026-12-01/a.csv",
                   sweep_floor=NOW - dt.timedelta(hours=7), sweep_started=NOW - dt.timedelta(hours=1),
                   to_delete=["h1", "h2"])
    back = ScanCursor.from_json(c.to_json())
    assert (back.sweep_after, back.sweep_floor, back.sweep_started, back.to_delete) == (
        c.sweep_after, c.sweep_floor, c.sweep_started, c.to_delete)
    # A cursor stored before the sweep existed: a sweep starts at once, new only from that cursor's floor.
    old = json.loads(ScanCursor(high_water=NOW).to_json())
    del old["sweep"], old["delete"]
    upgraded = ScanCursor.from_json(json.dumps(old))
    assert upgraded.sweep_after == "" and upgraded.sweep_floor == NOW - upgraded.lookback


def test_an_event_is_news_however_old_and_a_seen_version_is_not(registry) -> None:  # type: ignore[no-untyped-def]
    from infranaut_pipelines.ingest.scanner import scan
    from infranaut_pipelines.storage import ObjectInfo

    late = ObjectInfo("labels/fraud_detector/dt=2026-11-20/l.csv", 10, "e1", NOW - dt.timedelta(hours=5))
    cursor = ScanCursor(high_water=NOW)  # floor: an hour before NOW
    listed = scan([late], cursor, registry, NOW)
    assert listed.requests == []  # a listing treats it as handled by an earlier tick
    evented = scan([], cursor, registry, NOW, events=[late, late])  # delivered twice
    [request] = evented.requests
    assert (request.kind, request.objects) == ("labels", (late,))
    cursor.seen[(late.key, "e1")] = late.last_modified
    assert scan([], cursor, registry, NOW, events=[late]).requests == []
