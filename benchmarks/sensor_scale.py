"""One landing-sensor tick on a big bucket: the old full listing vs the bounded tick, side by side.

    .venv/bin/python benchmarks/sensor_scale.py                      # 100,000 old objects + 100 new
    .venv/bin/python benchmarks/sensor_scale.py --old 1000000 --skip-old-code   # the new tick alone at 1M

A bucket on moto's S3 server (real HTTP) holds ``--old`` objects from past days (their LastModified set
months back, as in a bucket that has been in use) for 10 registered models, then 100 new drops arrive,
each also announced on an SQS queue by the bucket's event notification. From the same steady cursor
(everything old already handled), three ticks gather and scan:

* old code: list the whole landing prefix, then scan (what the sensor did before issue 18);
* new code, listing: the recent ``dt=`` days of each model (Prefix + StartAfter), then scan;
* new code, queue: receive the events (no listing), then scan; the deletes happen on the next tick.

All three must request the same runs (same run keys), checked. Calls are counted with botocore's
``before-call`` event hooks on the clients used. The old objects are put into moto's in-process backend
directly (an HTTP PUT each would take far longer than the measurement), then frozen out of Python's garbage
collector (moto runs in this process); everything measured goes over HTTP.

Read the wall times with moto in mind: moto scans every key of the bucket on every LIST call (real S3
looks the prefix up in its index), so on moto even a one-key LIST costs time proportional to the bucket;
the script prints that floor ("one empty LIST") so the tick's own cost can be told from moto's.
The old code at 1,000,000 objects would be 1,000 such calls: hours on moto, so ``--skip-old-code``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MODELS = [f"churn_{i:02d}" for i in range(10)]
PREFIX = "landing"
NEW = 100


def _registry(folder: Path) -> Any:
    from infranaut_pipelines.registry import load_registry
    from tests.support.own_model import MODEL, REGISTRY_YAML

    head, block = REGISTRY_YAML.split("\n", 1)
    path = folder / "models.yaml"
    path.write_text(head + "\n" + "".join(block.replace(MODEL, m) for m in MODELS))
    return load_registry(str(path))


def _fill_old(bucket: str, n: int, today: dt.date) -> None:
    """``n`` objects over 60 past days (before the listed window), last modified the day after their day."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends

    backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
    for i in range(n):
        day = today - dt.timedelta(days=10 + i % 60)
        kind = "labels" if i % 5 == 0 else "inferences"
        key = f"{PREFIX}/{kind}/{MODELS[i % len(MODELS)]}/dt={day.isoformat()}/part-{i:07d}.parquet"
        obj = backend.put_object(bucket, key, b"x" * 64, disable_notification=True)
        obj.last_modified = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(3)).replace(tzinfo=None)


def _counted(client: Any) -> Counter:
    calls: Counter = Counter()
    client.meta.events.register("before-call.*.*", lambda model, **_: calls.update([model.name]))
    return calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--old", type=int, default=100_000, help="objects already in the bucket")
    parser.add_argument("--skip-old-code", action="store_true", help="measure only the new tick (for 1M)")
    args = parser.parse_args()

    import boto3

    from infranaut_pipelines.ingest.gather import GatherConfig, gather
    from infranaut_pipelines.ingest.listing import listing_window, plan_ranges
    from infranaut_pipelines.ingest.scanner import ScanCursor, scan
    from infranaut_pipelines.storage import S3Store
    from infranaut_pipelines.storage.queue import EventQueue
    from tests.s3_server import start_s3_server

    with tempfile.TemporaryDirectory(prefix="infranaut-bench-") as tmp, start_s3_server() as s3:
        registry = _registry(Path(tmp))
        now0 = dt.datetime.now(dt.timezone.utc)
        today = now0.date()
        bucket = s3.create_bucket("sensor-scale")
        t = time.perf_counter()
        _fill_old(bucket.name, args.old, today)
        # moto keeps the bucket in this process: freeze those objects out of the garbage collector, or its
        # full collections rescan millions of moto's objects in the middle of the measured ticks.
        gc.collect()
        gc.freeze()
        print(f"bucket: {args.old:,} old objects put into moto in {time.perf_counter() - t:.1f} s")

        sqs = boto3.client("sqs", endpoint_url=s3.endpoint_url, region_name="us-east-1")
        queue_url = sqs.create_queue(QueueName="landing-events")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        bucket.client.put_bucket_notification_configuration(Bucket=bucket.name, NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]})
        sqs.purge_queue(QueueUrl=queue_url)  # S3's test event
        # The steady state: every old object handled by earlier ticks; the sweep not due.
        cursor = ScanCursor(high_water=now0 - dt.timedelta(minutes=5), sweep_after=None, sweep_started=now0)
        for i in range(NEW):
            model = MODELS[i % len(MODELS)]
            day = today - dt.timedelta(days=i % 3)
            bucket.client.put_object(Bucket=bucket.name, Key=f"{PREFIX}/inferences/{model}/dt={day}/new-{i:03d}.csv",
                                     Body=b"prediction_id\n1\n")
        now = dt.datetime.now(dt.timezone.utc)
        scan_args = {"max_future_days": 1, "first_day": today - dt.timedelta(days=400)}

        client = boto3.client("s3", endpoint_url=s3.endpoint_url, region_name="us-east-1")
        s3_calls = _counted(client)
        store = S3Store(bucket.name, PREFIX, client)
        t = time.perf_counter()
        client.list_objects_v2(Bucket=bucket.name, Prefix=f"{PREFIX}/nothing-here/")
        empty_list_s = time.perf_counter() - t
        s3_calls.clear()
        rows = []

        if not args.skip_old_code:
            t = time.perf_counter()
            old = scan(list(store.list()), cursor, registry, now, **scan_args)
            rows.append(("old code: list everything", time.perf_counter() - t, dict(s3_calls), old))
            s3_calls.clear()

        ranges = plan_ranges(registry.model_ids, listing_window(now, 7, 1, scan_args["first_day"]))
        cfg = GatherConfig(reconcile=dt.timedelta(hours=6), sweep_keys=10_000, lookback=dt.timedelta(hours=1))
        t = time.perf_counter()
        got = gather(store, cursor, ranges, now, cfg)
        listed = scan(got.objects, cursor, registry, now, swept=got.swept, **scan_args)
        rows.append(("new code: recent days listed", time.perf_counter() - t, dict(s3_calls), listed))
        s3_calls.clear()

        sqs_client = boto3.client("sqs", endpoint_url=s3.endpoint_url, region_name="us-east-1")
        sqs_calls = _counted(sqs_client)
        queue = EventQueue(queue_url, sqs_client)
        t = time.perf_counter()
        got = gather(store, cursor, ranges, now, cfg, queue=queue, bucket=(bucket.name, PREFIX))
        queued = scan(got.objects, cursor, registry, now, swept=got.swept, events=got.events, **scan_args)
        rows.append(("new code: S3 events from SQS", time.perf_counter() - t, {**s3_calls, **sqs_calls}, queued))
        next_cursor = got.carry_into(queued.cursor)
        sqs_calls.clear()
        t = time.perf_counter()
        gather(store, next_cursor, ranges, now, cfg, queue=queue, bucket=(bucket.name, PREFIX))
        next_tick = (time.perf_counter() - t, dict(sqs_calls))

        expected = {r.run_key for r in rows[0][3].requests}
        assert all({r.run_key for r in row[3].requests} == expected for row in rows), "ticks disagree"
        files = sum(len(r.objects) for r in rows[0][3].requests)
        assert files == NEW, f"expected {NEW} new files requested, got {files}"

        print(f"new drops: {NEW} for {len(MODELS)} models; every tick requests the same {len(expected)} runs "
              f"({files} files)")
        print(f"moto's floor: one empty LIST on this bucket takes {empty_list_s * 1000:.0f} ms (real S3: ~20-50 ms)\n")
        print(f"{'tick':32} {'wall s':>8}  calls")
        for name, wall, calls, _ in rows:
            shown = ", ".join(f"{k} {v}" for k, v in sorted(calls.items())) or "none"
            print(f"{name:32} {wall:8.2f}  {shown}")
        print(f"{'  its next tick (deletes)':32} {next_tick[0]:8.2f}  "
              + ", ".join(f"{k} {v}" for k, v in sorted(next_tick[1].items())))
        if not args.skip_old_code:
            base = rows[0][1]
            print(f"\nspeed-up vs old code: listing {base / rows[1][1]:.0f}x, queue {base / rows[2][1]:.0f}x")


if __name__ == "__main__":
    main()
