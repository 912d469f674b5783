"""The generic JSON webhook through the outbox: documented body, HMAC signature, retries, exactly once."""

from __future__ import annotations

import json

from infranaut_pipelines.alerting import deliver_pending, evaluate_and_record
from infranaut_pipelines.notify.webhook import SCHEMA, WebhookSender
from tests.alerting.own_channels import FakeSleep, own_rules, own_signals
from tests.webhook_server import WEBHOOK_SECRET, WebhookServer, webhook_server  # noqa: F401 - fixture

MARKUP = '<img src=x onerror="alert(1)"> "quoted" & \\ back'


def _sender(server: WebhookServer, secret: str | None = WEBHOOK_SECRET) -> dict[str, WebhookSender]:
    return {"webhook": WebhookSender(server.url + "/hooks/infranaut", secret, timeout=5)}


def _drift_and_bad_check(day: int = 5):
    return own_signals(day, feature_drift={"monthly_spend": 2.5}, drifted_features=["monthly_spend"],
                       failed_checks=[{"name": f"plan {MARKUP}", "severity": "ERROR", "description": MARKUP}])


def _hook_rows(store):
    return [r for r in store.outbox() if r["channel"] == "webhook"]


def test_signed_documented_body_through_500_and_429_exactly_once(store, webhook_server):
    evaluate_and_record(store, own_rules(), _drift_and_bad_check())
    webhook_server.script(webhook_server.error(500), webhook_server.rate_limited(retry_after=None))
    sleep = FakeSleep()
    summary = deliver_pending(store, _sender(webhook_server), sleep=sleep, base_delay=0.5)

    (row,) = _hook_rows(store)
    assert summary.sent == [row["id"]] and row["attempts"] == 3
    assert sleep.calls == [0.5, 1.0]  # no Retry-After given: plain backoff
    assert [r.status for r in webhook_server.requests] == [500, 429, 200]
    # The same delivery id on every attempt: a receiver that remembers ids sees the message once.
    assert {r.headers["X-Infranaut-Delivery"] for r in webhook_server.requests} == {str(row["id"])}
    (got,) = webhook_server.deliveries
    assert got.signature_ok is True
    body = got.body
    assert body["schema"] == SCHEMA and body["kind"] == "fire" and body["delivery_id"] == str(row["id"])
    assert body["model_id"] == "subscription_churn" and body["partition_date"] == "2026-11-05"
    assert body["severity"] == "warning"
    assert sorted(a["rule"] for a in body["alerts"]) == ["data_checks", "feature_drift"]
    check = next(a for a in body["alerts"] if a["rule"] == "data_checks")
    assert check["subject"] == f"plan {MARKUP}"  # JSON is JSON: the value as it is, quotes and all
    assert MARKUP in body["text"]
    assert {"url": "https://dagster.example.com/runs/r1?tab=logs&x=1", "label": "Dagster run"} in body["links"]
    assert WEBHOOK_SECRET not in json.dumps(store.outbox(), default=str)


def test_a_wrong_secret_is_rejected_and_kept_as_failed_and_unsigned_works(duckdb_store, webhook_server):
    evaluate_and_record(duckdb_store, own_rules(), _drift_and_bad_check())
    deliver_pending(duckdb_store, _sender(webhook_server, secret="not-the-secret"), sleep=FakeSleep())
    (row,) = _hook_rows(duckdb_store)
    assert row["status"] == "failed" and "HTTP 401" in row["last_error"] and "bad signature" in row["last_error"]
    assert "not-the-secret" not in row["last_error"]

    duckdb_store.requeue_failed()
    deliver_pending(duckdb_store, _sender(webhook_server, secret=None), sleep=FakeSleep())
    assert _hook_rows(duckdb_store)[0]["status"] == "sent"
    assert "X-Infranaut-Signature" not in webhook_server.deliveries[0].headers


def test_resolve_is_posted_when_the_alerts_clear(duckdb_store, webhook_server):
    rules = own_rules()
    fired = evaluate_and_record(duckdb_store, rules, _drift_and_bad_check())
    evaluate_and_record(duckdb_store, rules, own_signals(6))
    deliver_pending(duckdb_store, _sender(webhook_server), sleep=FakeSleep())
    kinds = [d.body["kind"] for d in webhook_server.deliveries]
    assert kinds == ["fire", "resolve"]
    resolved = webhook_server.deliveries[1].body
    assert sorted(a["fingerprint"] for a in resolved["alerts"]) == sorted(fired.fired)
    assert {a["status"] for a in resolved["alerts"]} == {"resolved"}
