"""Bounded landing ticks on moto's S3 and SQS (issue 18): a tick lists or receives only what is new, the
queue's messages are deleted after the tick that used them, and a queue outage falls back to listing."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import dagster as dg
import pytest
from dagster_aws.s3 import S3Resource

from infranaut_pipelines.ingest.gather import GatherConfig, gather
from infranaut_pipelines.ingest.listing import listing_window, plan_ranges
from infranaut_pipelines.ingest.scanner import ScanCursor
from infranaut_pipelines.resources.storage import InfranautSettings, ObjectStoreResource, WarehouseResource
from infranaut_pipelines.sensors.landing_sensor import build_landing_sensor
from infranaut_pipelines.storage import S3Store
from infranaut_pipelines.storage.queue import EventQueue
from tests.s3_server import S3Bucket, s3_bucket, s3_server  # noqa: F401 - fixtures
from tests.support.env import temporary_env
from tests.support.own_model import MODEL, write_registry

PREFIX = "landing"
TODAY = dt.datetime.now(dt.timezone.utc).date()
OLD_DAY = TODAY - dt.timedelta(days=20)  # outside the listed days (7 back by default)


@dataclass
class Landing:
    bucket: S3Bucket
    queue_url: str
    sqs: Any
    calls: Counter

    def put(self, key: str, body: bytes = b"prediction_id\n1\n") -> None:
        self.bucket.client.put_object(Bucket=self.bucket.name, Key=f"{PREFIX}/{key}", Body=body)

    def messages_left(self) -> int:
        attrs = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["All"])["Attributes"]
        return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])


def _counting(client: Any, calls: Counter) -> Any:
    """Count API calls with botocore's event hooks (what a tick really sends, not what we think it sends)."""
    client.meta.events.register("before-call.*.*", lambda model, **_: calls.update([model.name]))
    return client


@pytest.fixture
def landing(s3_bucket: S3Bucket) -> Landing:  # noqa: F811
    calls: Counter = Counter()
    sqs = _counting(boto3.client("sqs", endpoint_url=s3_bucket.server.endpoint_url, region_name="us-east-1"), calls)
    url = sqs.create_queue(QueueName=s3_bucket.name)["QueueUrl"]
    _counting(s3_bucket.client, calls)
    return Landing(s3_bucket, url, sqs, calls)


def _notify(landing: Landing) -> None:
    """The bucket notification of docs/deployment.md: ObjectCreated under the landing prefix -> the queue."""
    arn = landing.sqs.get_queue_attributes(QueueUrl=landing.queue_url, AttributeNames=["QueueArn"])["Attributes"]
    landing.bucket.client.put_bucket_notification_configuration(
        Bucket=landing.bucket.name,
        NotificationConfiguration={"QueueConfigurations": [{
            "QueueArn": arn["QueueArn"], "Events": ["s3:ObjectCreated:*"],
            "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": f"{PREFIX}/"}]}},
        }]},
    )


def _key(day: dt.date, name: str, kind: str = "inferences", model: str = MODEL) -> str:
    return f"{kind}/{model}/dt={day.isoformat()}/{name}"


def test_a_tick_lists_only_the_recent_days_and_the_sweep_goes_in_slices(landing: Landing) -> None:
    old = [_key(OLD_DAY - dt.timedelta(days=d), f"f{i}.csv", k) for d in range(3) for i in range(10)
           for k in ("inferences", "labels")]
    new = [_key(TODAY, "a.csv"), _key(TODAY, "b.csv"), _key(TODAY - dt.timedelta(days=3), "l.csv", "labels")]
    for key in old + new:
        landing.put(key)
    store = S3Store(landing.bucket.name, PREFIX, landing.bucket.client)
    now = dt.datetime.now(dt.timezone.utc)
    ranges = plan_ranges([MODEL, "other_model"], listing_window(now, 7, 1, None))
    cfg = GatherConfig(reconcile=dt.timedelta(hours=6), sweep_keys=25, lookback=dt.timedelta(hours=1))
    steady = ScanCursor(high_water=now, sweep_after=None, sweep_started=now - dt.timedelta(hours=1))

    landing.calls.clear()
    got = gather(store, steady, ranges, now, cfg)
    assert sorted(o.key for o in got.objects) == sorted(new) and got.swept == []
    assert landing.calls == Counter({"ListObjectsV2": 4})  # 2 models x 2 kinds, whatever the old objects

    # A due sweep lists the whole zone 25 keys a tick, resuming where it stopped, and leaves out what
    # the recent-days listing already gave.
    cursor, swept, ticks = ScanCursor(high_water=now, sweep_after=None, sweep_started=now - cfg.reconcile), [], 0
    while True:
        landing.calls.clear()
        got = gather(store, cursor, ranges, now, cfg)
        assert landing.calls["ListObjectsV2"] == 5  # 4 ranges + one slice
        swept += [o.key for o in got.swept]
        cursor = got.carry_into(cursor)
        ticks += 1
        if cursor.sweep_after is None:
            break
    assert sorted(swept) == sorted(old) and ticks == 3  # 63 keys, 25 a tick
    assert cursor.sweep_floor == now - cfg.lookback and cursor.sweep_started == now


def test_with_a_queue_a_tick_receives_instead_of_listing(landing: Landing) -> None:
    store = S3Store(landing.bucket.name, PREFIX, landing.bucket.client)
    queue = EventQueue(landing.queue_url, landing.sqs)
    _notify(landing)
    for i in range(12):
        landing.put(_key(TODAY, f"p{i}.csv"))
    now = dt.datetime.now(dt.timezone.utc)
    ranges = plan_ranges([MODEL], listing_window(now, 7, 1, None))
    cfg = GatherConfig(reconcile=dt.timedelta(hours=6), sweep_keys=100, lookback=dt.timedelta(hours=1))
    steady = ScanCursor(high_water=now, sweep_after=None, sweep_started=now)
    landing.calls.clear()
    got = gather(store, steady, ranges, now, cfg, queue=queue, bucket=(landing.bucket.name, PREFIX))
    assert got.queue_ok and got.objects == [] and got.swept == []
    assert sorted(o.key for o in got.events) == sorted(_key(TODAY, f"p{i}.csv") for i in range(12))
    assert landing.calls["ListObjectsV2"] == 0
    assert landing.calls["ReceiveMessage"] <= 4  # 13 messages (12 drops + S3's test event), 10 a call
    assert len(got.to_delete) == 12 and any("test event" in n for n in got.notes)


@pytest.fixture
def sensor_env(tmp_path: Path, landing: Landing) -> Iterator[dict]:
    registry = write_registry(tmp_path)
    values = {"INFRANAUT_LANDING_QUEUE_URL": landing.queue_url, "INFRANAUT_LANDING_DAYS_BACK": "7"}
    with temporary_env(values):
        yield {
            "landing": ObjectStoreResource(url=f"s3://{landing.bucket.name}/{PREFIX}", s3=S3Resource()),
            "lake": ObjectStoreResource(url=(tmp_path / "lake").as_uri(), s3=S3Resource()),
            "warehouse": WarehouseResource(url=f"duckdb:///{tmp_path / 'wh.duckdb'}"),
            "settings": InfranautSettings(registry_path=str(registry)),
        }


def _tick(instance: dg.DagsterInstance, cursor: str | None, resources: dict) -> dg.SensorResult:
    with dg.build_sensor_context(instance=instance, cursor=cursor, resources=resources) as ctx:
        return build_landing_sensor()(ctx)


def _runs(result: dg.SensorResult) -> list[tuple[str, str, str]]:
    return sorted((r.job_name, str(r.partition_key), r.tags["infranaut/new_files"]) for r in result.run_requests)


def test_sensor_on_the_queue_dedupes_deletes_after_commit_and_falls_back_when_it_is_down(
    landing: Landing, sensor_env: dict, capfd: pytest.CaptureFixture[str]
) -> None:
    landing.put(_key(OLD_DAY, "history.csv"))  # before the notification: only the first sweep can find it
    _notify(landing)  # S3 sends its test event
    with dg.instance_for_test() as instance:
        first = _tick(instance, None, sensor_env)
        assert _runs(first) == [("inference_pipeline_job", f"{OLD_DAY}|{MODEL}", "1")]
        assert landing.messages_left() == 0  # the test event: nothing depends on it, deleted at once
        instance.add_dynamic_partitions("models", [MODEL])

        landing.put(_key(TODAY, "a.csv"))
        landing.put(_key(OLD_DAY, "late.csv", "labels"))  # late labels for a day outside the listed window
        event = landing.sqs.receive_message(QueueUrl=landing.queue_url, MaxNumberOfMessages=1)["Messages"][0]
        landing.sqs.change_message_visibility(QueueUrl=landing.queue_url, ReceiptHandle=event["ReceiptHandle"],
                                              VisibilityTimeout=0)
        landing.sqs.send_message(QueueUrl=landing.queue_url, MessageBody=event["Body"])  # delivered twice
        landing.sqs.send_message(QueueUrl=landing.queue_url, MessageBody="{not json")
        landing.calls.clear()
        capfd.readouterr()
        second = _tick(instance, first.cursor, sensor_env)
        assert _runs(second) == sorted([("inference_pipeline_job", f"{TODAY}|{MODEL}", "1"),
                                        ("label_pipeline_job", f"{OLD_DAY}|{MODEL}", "1")])
        assert "malformed message: not JSON" in capfd.readouterr().err  # the sensor's log (Dagster's handler)
        assert landing.messages_left() == 3  # the malformed one is gone; the three used wait for the commit

        third = _tick(instance, second.cursor, sensor_env)  # second's cursor was committed: delete its messages
        assert third.run_requests == [] and landing.messages_left() == 0

        # The queue goes down: the tick lists the recent days instead, and misses nothing.
        landing.put(_key(TODAY, "b.csv"))
        with temporary_env({"AWS_ENDPOINT_URL_SQS": "http://127.0.0.1:9", "AWS_MAX_ATTEMPTS": "1"}):
            down = _tick(instance, third.cursor, sensor_env)
        assert "event queue unreachable" in capfd.readouterr().err
        assert _runs(down) == [("inference_pipeline_job", f"{TODAY}|{MODEL}", "1")]
        assert down.run_requests[0].run_key != second.run_requests[0].run_key

        # Back up: the event of the drop the listing already found requests nothing more.
        back = _tick(instance, down.cursor, sensor_env)
        assert back.run_requests == []
        assert json.loads(back.cursor)["delete"]  # its message is deleted next tick
