"""Delivery against the local Slack server: retries, Retry-After, outages, no duplicates, in order."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from slack_sdk import WebClient

from infranaut_pipelines.alerting import deliver_pending, evaluate_and_record
from infranaut_pipelines.notify import SlackSender
from tests.alerting.conftest import signals
from tests.slack_server import SlackServer

POST = "/api/chat.postMessage"


class FakeSleep:
    """Records requested waits instead of sleeping (the values are asserted, so they are honoured)."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def _drifting(day: int = 5, **kw):
    return signals(day, feature_drift={"amount": 2.3, "device_type": 0.1}, drifted_features=["amount"], **kw)


def _api_sender(server: SlackServer, timeout: float = 5.0) -> SlackSender:
    return SlackSender(token=server.token, base_url=server.api_base_url, timeout=timeout)


def test_429_then_500_then_success_is_delivered_exactly_once_in_order(duckdb_store, rules, slack_server):
    evaluate_and_record(duckdb_store, rules, _drifting(latency_p95_ms=300.0))  # 2 messages: 2 channels
    slack_server.script(POST, slack_server.rate_limited(retry_after=7), slack_server.error(500))
    sleep = FakeSleep()
    summary = deliver_pending(duckdb_store, _api_sender(slack_server), sleep=sleep, base_delay=0.5)

    assert summary.complete and len(summary.sent) == 2 and summary.failed == []
    assert sleep.calls[0] == 7.0  # Retry-After honoured exactly
    assert sleep.calls[1] == 1.0  # then exponential backoff (0.5 * 2**1)
    assert [r.response_status for r in slack_server.posts(POST)] == [429, 500, 200, 200]
    # 4 HTTP requests, 2 messages: each delivered exactly once, in creation order
    assert [m.channel for m in slack_server.messages] == ["#fraud-oncall", "#fraud-ml-alerts"]
    assert [m.metadata["event_payload"]["outbox_id"] for m in slack_server.messages] == \
        [str(r["id"]) for r in duckdb_store.outbox()]
    rows = duckdb_store.outbox()
    assert all(r["status"] == "sent" and r["slack_ts"] for r in rows)
    assert rows[0]["attempts"] == 3 and rows[1]["attempts"] == 1


def test_slack_down_for_a_whole_run_loses_nothing_and_delivers_next_run(duckdb_store, rules, slack_server):
    evaluate_and_record(duckdb_store, rules, _drifting())
    slack_server.down()
    sleep = FakeSleep()
    first = deliver_pending(duckdb_store, _api_sender(slack_server), sleep=sleep, max_attempts_per_run=3)
    assert first.sent == [] and first.pending == 1 and not first.complete
    assert sleep.calls == [1.0, 2.0]  # 3 attempts, backoff between them, no wait after the last
    row = duckdb_store.outbox()[0]
    assert row["status"] == "pending" and row["attempts"] == 3 and "unreachable" in row["last_error"]
    assert row["claim_token"] is None  # released for the next run

    slack_server.up()
    second = deliver_pending(duckdb_store, _api_sender(slack_server), sleep=FakeSleep())
    assert second.complete and second.sent == [row["id"]]
    assert len(slack_server.messages) == 1


def test_rerunning_a_partition_sends_no_duplicate(duckdb_store, rules, slack_server):
    sender = _api_sender(slack_server)
    evaluate_and_record(duckdb_store, rules, _drifting())
    deliver_pending(duckdb_store, sender, sleep=FakeSleep())
    again = evaluate_and_record(duckdb_store, rules, _drifting())  # the same partition, re-run
    deliver_pending(duckdb_store, sender, sleep=FakeSleep())
    assert again.fired == [] and again.outbox_ids == []
    assert len(slack_server.messages) == 1 and len(duckdb_store.outbox()) == 1


def test_a_post_slack_accepted_but_we_never_heard_back_is_not_reposted(duckdb_store, rules, slack_server):
    """Timeout after Slack processed the post (the crash window): the next attempt finds it by metadata."""
    evaluate_and_record(duckdb_store, rules, _drifting())
    slack_server.script(POST, slack_server.slow(2.5))
    summary = deliver_pending(duckdb_store, _api_sender(slack_server, timeout=1), sleep=FakeSleep())
    assert summary.reconciled == [1] and summary.sent == []
    assert len(slack_server.messages) == 1  # posted once, despite the client never seeing the 200
    row = duckdb_store.outbox()[0]
    assert row["status"] == "sent" and row["slack_ts"] == slack_server.messages[0].ts
    assert row["last_error"] == "reconciled: already posted"


def test_crash_after_post_before_commit_is_reconciled_on_resume(duckdb_store, rules, slack_server):
    """Simulate the crash by posting with the real sender while the row stays 'in doubt' in the outbox."""
    evaluate_and_record(duckdb_store, rules, _drifting())
    row = duckdb_store.outbox()[0]
    sender = _api_sender(slack_server)
    lease = dt.timedelta(seconds=1)
    claimed = duckdb_store.claim(row["id"], "crashed-run", dt.datetime(2026, 11, 6, 6), lease)
    duckdb_store.start_attempt(row["id"], "crashed-run", dt.datetime(2026, 11, 6, 6), lease)
    sender.send(claimed["channel"], json.loads(claimed["payload"]), str(row["id"]))  # ...then the process dies
    resumed = deliver_pending(duckdb_store, sender, sleep=FakeSleep())  # lease expired long ago
    assert resumed.reconciled == [row["id"]] and len(slack_server.messages) == 1


def test_permanent_error_marks_failed_and_later_rows_still_go_out(duckdb_store, rules, slack_server):
    evaluate_and_record(duckdb_store, rules, _drifting(latency_p95_ms=300.0))
    slack_server.script(POST, slack_server.api_error("channel_not_found"))
    summary = deliver_pending(duckdb_store, _api_sender(slack_server), sleep=FakeSleep())
    rows = duckdb_store.outbox()
    assert [r["status"] for r in rows] == ["failed", "sent"]
    assert "channel_not_found" in rows[0]["last_error"] and summary.failed == [rows[0]["id"]]
    assert duckdb_store.requeue_failed() == 1
    deliver_pending(duckdb_store, _api_sender(slack_server), sleep=FakeSleep())
    assert len(slack_server.messages) == 2


def test_webhook_transport_retries_and_delivers_once(duckdb_store, rules, slack_server):
    evaluate_and_record(duckdb_store, rules, _drifting())
    hook = slack_server.webhook_url("T1/B1/secret")
    slack_server.script("/services/T1/B1/secret", slack_server.rate_limited(2), slack_server.error(503))
    sleep = FakeSleep()
    summary = deliver_pending(duckdb_store, SlackSender(webhook_url=hook), sleep=sleep)
    assert summary.complete and sleep.calls[0] == 2.0
    assert len(slack_server.messages) == 1
    assert slack_server.messages[0].body["blocks"][-1]["elements"][0]["text"] == "ref `alert-1`"


def test_ready_webclient_is_accepted_and_its_token_checked(slack_server, duckdb_store, rules):
    client = WebClient(token=slack_server.token, base_url=slack_server.api_base_url)
    sender = SlackSender(client=client)
    evaluate_and_record(duckdb_store, rules, _drifting())
    assert deliver_pending(duckdb_store, sender, sleep=FakeSleep()).complete
    assert slack_server.posts(POST)[0].authorized is True
    assert "Authorization" not in slack_server.posts(POST)[0].headers


def test_wrong_token_is_a_permanent_failure_without_leaking_it(slack_server, duckdb_store, rules):
    evaluate_and_record(duckdb_store, rules, _drifting())
    secret = "xoxb-wrong-secret-value"
    summary = deliver_pending(duckdb_store, SlackSender(token=secret, base_url=slack_server.api_base_url),
                              sleep=FakeSleep())
    row = duckdb_store.outbox()[0]
    assert summary.failed == [row["id"]] and "invalid_auth" in row["last_error"]
    assert secret not in row["last_error"] and secret not in row["payload"]


@pytest.mark.parametrize("kwargs, fragment", [
    ({"webhook_url": "hooks.slack.com/services/T/B/X"}, "malformed"),
    ({"webhook_url": "http://hooks.slack.com/services/T/B/X"}, "malformed"),
    ({"webhook_url": ""}, "missing"),
    ({"token": ""}, "missing"),
    ({"token": "not-a-token"}, "does not look like"),
    ({}, "exactly one"),
])
def test_sender_validation_is_clear_and_does_not_echo_secrets(kwargs, fragment):
    with pytest.raises(ValueError) as err:
        SlackSender(**kwargs)
    assert fragment in str(err.value)
    for secret in kwargs.values():
        if secret:
            assert secret not in str(err.value)


def test_dropped_connection_is_retried_and_the_message_carries_causes_and_links(duckdb_store, rules, slack_server):
    evaluate_and_record(duckdb_store, rules, _drifting(new_categories={"merchant_category": ["<!channel> crypto"]}))
    slack_server.script(POST, slack_server.drop())
    summary = deliver_pending(duckdb_store, _api_sender(slack_server), sleep=FakeSleep())
    assert summary.complete and len(slack_server.messages) == 1
    row = duckdb_store.outbox()[0]
    # A dropped connection is ambiguous: the sender looked for the message before re-posting it.
    assert row["attempts"] == 2 and row["last_error"].startswith("lookup failed before re-post")
    assert [r.path for r in slack_server.requests] == [POST, "/api/conversations.list", POST]
    blocks = slack_server.messages[0].body["blocks"]
    text = json.dumps(blocks)
    assert "Top suspected causes" in text and "upstream schema or catalog change" in text
    assert "<https://dagster.example.com/runs/abc|Dagster run>" in text
    assert "<https://reports.example.com/fraud/2026-11-05.html|Drift report>" in text
    assert "<!channel>" not in text


def test_two_concurrent_delivery_runs_post_each_message_once(pg_store, rules, slack_server):
    """Two Dagster runs delivering at the same time (PostgreSQL): the claim lease keeps it exactly once."""
    import threading

    evaluate_and_record(pg_store, rules, _drifting(latency_p95_ms=300.0, quality_score=0.1))
    evaluate_and_record(pg_store, rules, signals(5, model_id="demand_forecaster", latency_p95_ms=900.0,
                                                 sla={"latency_p95_ms": 300, "error_rate": 0.05}))
    assert len(pg_store.outbox()) == 3
    slack_server.script(POST, *[slack_server.slow(0.3)] * 3)
    results = []
    runs = [threading.Thread(target=lambda: results.append(
        deliver_pending(pg_store, _api_sender(slack_server), sleep=FakeSleep()))) for _ in range(2)]
    for t in runs:
        t.start()
    for t in runs:
        t.join()
    ids = [m.metadata["event_payload"]["outbox_id"] for m in slack_server.messages]
    assert sorted(ids) == sorted(set(ids)) and len(ids) == 3
    assert [r["status"] for r in pg_store.outbox()] == ["sent"] * 3
    assert sum(len(r.sent) for r in results) == 3
