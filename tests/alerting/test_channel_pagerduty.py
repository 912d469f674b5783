"""PagerDuty through the outbox, against a local Events API v2: retries, exactly once, resolve, acknowledge."""

from __future__ import annotations

import datetime as dt
import json

from infranaut_pipelines.alerting import deliver_pending, evaluate_and_record
from infranaut_pipelines.notify.pagerduty import PagerDutySender, dedup_key
from tests.alerting.own_channels import FakeSleep, own_rules, own_signals
from tests.pagerduty_server import ROUTING_KEY, PagerDutyServer, pagerduty_server  # noqa: F401 - fixture


def _sender(server: PagerDutyServer, key: str = ROUTING_KEY) -> dict[str, PagerDutySender]:
    return {"pagerduty": PagerDutySender(key, server.events_url, timeout=5)}


def _slow(day: int = 5, **kw):
    return own_signals(day, latency_p95_ms=400.0, **kw)  # over the 250 ms SLA: critical -> pagerduty


def _pd_rows(store):
    return [r for r in store.outbox() if r["channel"] == "pagerduty"]


def test_trigger_through_429_and_500_exactly_once_then_resolve_with_the_same_dedup_key(store, pagerduty_server):
    rules = own_rules()
    fired = evaluate_and_record(store, rules, _slow())
    assert len(fired.fired) == 1
    fp = fired.fired[0]
    pagerduty_server.script(pagerduty_server.rate_limited(retry_after=7), pagerduty_server.error(500))
    sleep = FakeSleep()
    summary = deliver_pending(store, _sender(pagerduty_server), sleep=sleep, base_delay=0.5)

    assert summary.sent == [r["id"] for r in _pd_rows(store)] and summary.failed == []
    assert sleep.calls == [7.0, 1.0]  # Retry-After honoured exactly, then backoff 0.5 * 2**1
    assert [r.status for r in pagerduty_server.requests] == [429, 500, 202]
    assert pagerduty_server.incidents == {dedup_key(fp): "triggered"}
    assert pagerduty_server.triggers[dedup_key(fp)] == 1
    event = pagerduty_server.events[0]
    assert event["event_action"] == "trigger" and event["payload"]["severity"] == "critical"
    assert event["payload"]["source"] == "infranaut/subscription_churn"
    assert "latency_sla" in event["payload"]["summary"] and event["payload"]["custom_details"]["value"] == 400.0
    assert event["links"][0]["href"] == "https://dagster.example.com/runs/r1?tab=logs&x=1"  # JSON, not escaped
    # The Slack row of the same route waits for its own sender, it is neither lost nor sent by PagerDuty's.
    assert summary.not_configured == {"slack": 1} and summary.pending == 1

    # A re-run of the partition and a second delivery send nothing new.
    evaluate_and_record(store, rules, _slow())
    deliver_pending(store, _sender(pagerduty_server), sleep=FakeSleep())
    assert len(pagerduty_server.requests) == 3

    cleared = evaluate_and_record(store, rules, own_signals(6))
    assert cleared.resolved == [fp]
    deliver_pending(store, _sender(pagerduty_server), sleep=FakeSleep())
    assert pagerduty_server.events[-1] == {"event_action": "resolve", "dedup_key": dedup_key(fp)}
    assert pagerduty_server.incidents == {dedup_key(fp): "resolved"}
    rows = _pd_rows(store)
    assert [(r["kind"], r["status"]) for r in rows] == [("fire", "sent"), ("resolve", "sent")]
    # The routing key is added at send time: never in the outbox.
    assert not any(ROUTING_KEY in json.dumps(r, default=str) for r in store.outbox())


def test_400_is_permanent_with_the_reason_kept_and_the_key_never_echoed(duckdb_store, pagerduty_server):
    evaluate_and_record(duckdb_store, own_rules(), _slow())
    wrong = "WR0NGKEY000000000000000000000000"
    summary = deliver_pending(duckdb_store, _sender(pagerduty_server, key=wrong), sleep=FakeSleep())
    row = _pd_rows(duckdb_store)[0]
    assert summary.failed == [row["id"]] and row["status"] == "failed" and row["attempts"] == 1
    assert "HTTP 400" in row["last_error"] and "'routing_key' is invalid" in row["last_error"]
    assert wrong not in row["last_error"]
    # After the fix an operator requeues it, and it goes out once.
    assert duckdb_store.requeue_failed([row["id"]]) == 1
    deliver_pending(duckdb_store, _sender(pagerduty_server), sleep=FakeSleep())
    assert _pd_rows(duckdb_store)[0]["status"] == "sent" and len(pagerduty_server.incidents) == 1


def test_unreachable_pagerduty_is_retried_then_left_pending_with_the_reason(duckdb_store, pagerduty_server):
    evaluate_and_record(duckdb_store, own_rules(), _slow())
    pagerduty_server.down()
    sleep = FakeSleep()
    first = deliver_pending(duckdb_store, _sender(pagerduty_server), sleep=sleep, max_attempts_per_run=3)
    row = _pd_rows(duckdb_store)[0]
    assert first.sent == [] and sleep.calls == [1.0, 2.0]
    assert row["status"] == "pending" and row["attempts"] == 3 and "PagerDuty unreachable" in row["last_error"]
    assert row["claim_token"] is None and "PagerDuty unreachable" in (first.stopped_reason or "")

    pagerduty_server.up()
    second = deliver_pending(duckdb_store, _sender(pagerduty_server), sleep=FakeSleep())
    assert second.sent == [row["id"]] and list(pagerduty_server.incidents.values()) == ["triggered"]


def test_acknowledge_uses_the_alert_dedup_key(duckdb_store, pagerduty_server):
    fired = evaluate_and_record(duckdb_store, own_rules(), _slow())
    deliver_pending(duckdb_store, _sender(pagerduty_server), sleep=FakeSleep())
    ids = duckdb_store.acknowledge(fired.fired, dt.datetime(2026, 11, 6, 7, 0, tzinfo=dt.timezone.utc))
    assert len(ids) == 1
    deliver_pending(duckdb_store, _sender(pagerduty_server), sleep=FakeSleep())
    assert pagerduty_server.events[-1] == {"event_action": "acknowledge", "dedup_key": dedup_key(fired.fired[0])}
    assert pagerduty_server.incidents[dedup_key(fired.fired[0])] == "acknowledged"


def test_a_resolve_reaches_the_incident_after_escalating_to_a_route_without_pagerduty(duckdb_store, pagerduty_server):
    # warning pages PagerDuty; after two evaluations it escalates to critical, whose route is Slack only.
    rules = own_rules("""
defaults:
  - {name: feature_drift, metric: feature_drift, operator: ">=", threshold: 1.0, severity: warning}
escalation: {after_evaluations: 2}
routes: {warning: pagerduty, critical: "#growth-oncall"}
""")
    drift = dict(feature_drift={"monthly_spend": 2.5}, drifted_features=["monthly_spend"])
    fp = evaluate_and_record(duckdb_store, rules, own_signals(5, **drift)).fired[0]
    assert evaluate_and_record(duckdb_store, rules, own_signals(6, **drift)).escalated == [fp]
    evaluate_and_record(duckdb_store, rules, own_signals(7))
    deliver_pending(duckdb_store, _sender(pagerduty_server), sleep=FakeSleep())
    assert [e["event_action"] for e in pagerduty_server.events] == ["trigger", "resolve"]
    assert pagerduty_server.incidents == {dedup_key(fp): "resolved"}
