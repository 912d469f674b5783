"""Alert state on DuckDB and on real PostgreSQL: dedup, escalation, resolve, suppression, backfills."""

from __future__ import annotations

import datetime as dt
import json

from infranaut_pipelines.alerting import (
    MaintenanceWindow,
    evaluate_and_record,
    fingerprint,
    freshness_findings,
    is_historic,
    record_evaluation,
)
from tests.alerting.conftest import signals

FP_AMOUNT = fingerprint("fraud_detector", "feature_drift", "amount")


def _drift(day: int, **kw):
    return signals(day, feature_drift={"amount": 2.3, "device_type": 0.1}, drifted_features=["amount"], **kw)


def _kinds(store) -> list[tuple[str, list[str]]]:
    return [(r["kind"], json.loads(r["fingerprints"])) for r in store.outbox()]


def test_rerun_of_same_partition_is_the_same_alert(store, rules):
    first = evaluate_and_record(store, rules, _drift(5))
    second = evaluate_and_record(store, rules, _drift(5, now=dt.datetime(2026, 11, 6, 9, tzinfo=dt.timezone.utc)))
    assert first.fired == [FP_AMOUNT] and second.fired == [] and second.still_open == [FP_AMOUNT]
    st = store.state(FP_AMOUNT)
    assert st["status"] == "open" and st["evaluations"] == 1  # a re-run is not a new evaluation
    assert st["last_seen"] == dt.datetime(2026, 11, 6, 9) and st["first_seen"] == dt.datetime(2026, 11, 6, 6)
    assert _kinds(store) == [("fire", [FP_AMOUNT])]
    events = store.events("fraud_detector")
    assert [(e["fingerprint"], e["partition_date"], e["result"]) for e in events] == \
        [(FP_AMOUNT, dt.date(2026, 11, 5), "fired")]  # replaced per partition, not duplicated


def test_escalates_once_after_n_evaluations_then_resolves(store, rules):
    assert rules.escalate_after("fraud_detector") == 3
    for day in (5, 6):
        evaluate_and_record(store, rules, _drift(day))
    assert store.state(FP_AMOUNT)["severity"] == "warning"
    third = evaluate_and_record(store, rules, _drift(7))
    assert third.escalated == [FP_AMOUNT]
    st = store.state(FP_AMOUNT)
    assert (st["severity"], st["base_severity"], st["channel"]) == ("critical", "warning", "#fraud-oncall")
    for day in (7, 8):  # a re-run of day 7 and one more day: no second escalation
        assert evaluate_and_record(store, rules, _drift(day)).escalated == []
    cleared = evaluate_and_record(store, rules, signals(9))
    assert cleared.resolved == [FP_AMOUNT]
    assert store.state(FP_AMOUNT)["status"] == "resolved"
    assert evaluate_and_record(store, rules, signals(9)).resolved == []  # re-run: no second notice
    assert [k for k, _ in _kinds(store)] == ["fire", "escalate", "resolve"]
    resolve = store.outbox()[-1]
    assert resolve["channel"] == "#fraud-oncall"  # where the alert last spoke
    assert "cleared" in json.loads(resolve["payload"])["blocks"][2]["text"]["text"]


def test_a_cleared_alert_that_returns_is_a_new_episode(store, rules):
    evaluate_and_record(store, rules, _drift(5))
    evaluate_and_record(store, rules, signals(6))
    again = evaluate_and_record(store, rules, _drift(7))
    assert again.fired == [FP_AMOUNT]
    st = store.state(FP_AMOUNT)
    assert st["status"] == "open" and st["evaluations"] == 1 and st["first_seen"] == dt.datetime(2026, 11, 8, 6)


def test_unmeasured_metric_does_not_resolve(store, rules):
    """Labels arrive late: a performance alert stays open on a day where performance is unknown."""
    evaluate_and_record(store, rules, signals(5, performance={"metric": "auc", "value": 0.80, "baseline": 0.90}))
    fp = fingerprint("fraud_detector", "performance_drop", "")
    assert store.state(fp)["status"] == "open"
    assert evaluate_and_record(store, rules, signals(6, performance=None)).resolved == []
    assert store.state(fp)["status"] == "open"
    assert evaluate_and_record(store, rules, signals(7, performance={"metric": "auc", "value": 0.9,
                                                                      "baseline": 0.9})).resolved == [fp]


def test_maintenance_window_records_but_does_not_send(store, rules):
    window = MaintenanceWindow(model="fraud_detector", start=dt.datetime(2026, 11, 5, 2),
                               end=dt.datetime(2026, 11, 5, 6), reason="feature store migration")
    s = evaluate_and_record(store, rules, _drift(5), [window])
    assert s.suppressed == [FP_AMOUNT] and s.fired == [] and store.outbox() == []
    assert store.state(FP_AMOUNT)["status"] == "suppressed"
    assert store.events("fraud_detector")[0]["result"] == "suppressed"
    # The window is over and the drift is still there: now it is announced, once.
    later = evaluate_and_record(store, rules, _drift(6), [window])
    assert later.fired == [FP_AMOUNT] and _kinds(store) == [("fire", [FP_AMOUNT])]


def test_suppressed_alert_clears_silently(store, rules):
    window = MaintenanceWindow(model="*", start=dt.datetime(2026, 11, 1), end=dt.datetime(2026, 11, 30),
                               rule="feature_drift")
    evaluate_and_record(store, rules, _drift(5), [window])
    s = evaluate_and_record(store, rules, signals(6), [window])
    assert s.resolved == [FP_AMOUNT] and store.outbox() == []


def test_backfill_of_an_older_partition_neither_pages_nor_resolves(store, rules):
    evaluate_and_record(store, rules, _drift(7))
    old_clean = evaluate_and_record(store, rules, signals(3), historic=True)
    old_drift = evaluate_and_record(store, rules, signals(2, latency_p95_ms=500.0), historic=True)
    assert old_clean.historic and old_clean.resolved == []
    assert old_drift.historic and old_drift.fired == []
    assert store.state(FP_AMOUNT)["status"] == "open" and len(store.outbox()) == 1
    assert {e["partition_date"] for e in store.events("fraud_detector")} == \
        {dt.date(2026, 11, 7), dt.date(2026, 11, 2)}  # history still records what the backfill saw


def test_late_labels_for_a_recent_day_page_but_do_not_clear_newer_alerts(store, rules):
    """Labels a day late: day 5's label run comes after day 6's inference run, and is still news."""
    evaluate_and_record(store, rules, _drift(6))  # day 6: amount drifted
    perf = {"metric": "auc", "value": 0.85, "baseline": 0.9, "band": {"lower": 0.88, "upper": 0.92, "mean": 0.9}}
    late = evaluate_and_record(store, rules, signals(5, performance=perf,
                                                     now=dt.datetime(2026, 11, 7, 6, tzinfo=dt.timezone.utc)))
    fired = {store.state(fp)["rule"] for fp in late.fired}
    assert not late.historic and fired == {"performance_below_band", "performance_drop"}
    assert late.resolved == [] and store.state(FP_AMOUNT)["status"] == "open"  # day 5 says nothing of day 6
    assert store.state(FP_AMOUNT)["last_partition"] == dt.date(2026, 11, 6)
    fire_rows = [r for r in store.outbox() if r["partition_date"] == dt.date(2026, 11, 5)]
    assert fire_rows and all(r["kind"] == "fire" for r in fire_rows)


def test_historic_is_a_backfill_or_older_than_the_label_lag():
    today = dt.date(2026, 11, 20)
    assert is_historic(dt.date(2026, 11, 19), today, in_backfill=True)
    assert not is_historic(dt.date(2026, 11, 19), today, in_backfill=False)
    assert not is_historic(dt.date(2026, 11, 16), today, in_backfill=False, label_lag_days=1)  # 4 days: lag 1 + 3
    assert is_historic(dt.date(2026, 11, 15), today, in_backfill=False, label_lag_days=1)
    assert not is_historic(dt.date(2026, 11, 5), today, in_backfill=False, label_lag_days=14)
    assert is_historic(dt.date(2026, 11, 18), today, in_backfill=False, historic_after_days=1)


def test_fire_message_groups_findings_by_channel(store, rules):
    s = evaluate_and_record(store, rules, _drift(5, latency_p95_ms=300.0, quality_score=0.5))
    rows = store.outbox()
    assert len(s.fired) == 3 and [r["channel"] for r in rows] == ["#fraud-oncall", "#fraud-ml-alerts"]
    assert len(json.loads(rows[1]["fingerprints"])) == 2


def test_freshness_from_a_sensor_opens_and_resolves(store, rules):
    now = dt.datetime(2026, 11, 6, 12, tzinfo=dt.timezone.utc)
    by_model = freshness_findings({"fraud_detector": now - dt.timedelta(hours=7)}, now, rules)
    assert [f.rule for f in by_model["fraud_detector"].findings] == ["stale_predictions"]  # fraud: 6 h
    assert by_model["demand_forecaster"].findings[0].value is None  # never received anything: stale
    for model_id, ev in by_model.items():
        record_evaluation(store, rules, model_id, now.date(), ev, now, source="sensor")
    assert {r["channel"] for r in store.outbox()} == {"#fraud-oncall", "#supply-ml-alerts"}
    # A partition evaluation of other rules must not touch the freshness alert...
    evaluate_and_record(store, rules, signals(5))
    fp = fingerprint("fraud_detector", "stale_predictions", "")
    assert store.state(fp)["status"] == "open"
    # ...data arrives: the sensor's next tick resolves it.
    later = now + dt.timedelta(hours=1)
    fresh = freshness_findings({"fraud_detector": later}, later, rules, models=["fraud_detector"])
    s = record_evaluation(store, rules, "fraud_detector", later.date(), fresh["fraud_detector"], later,
                          source="sensor")
    assert s.resolved == [fp]
