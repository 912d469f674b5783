"""Pure evaluation: findings, fingerprints, SLA thresholds, performance direction, hints, escaping."""

from __future__ import annotations

import datetime as dt

from infranaut_pipelines.alerting import evaluate, evaluate_detailed, fingerprint, root_causes
from infranaut_pipelines.alerting.render import escape, render_fire
from tests.alerting.conftest import signals


def test_healthy_signals_fire_nothing(rules):
    ev = evaluate_detailed(rules, signals(5))
    assert ev.findings == []
    assert {"feature_drift", "latency_sla", "data_quality"} <= ev.evaluated_rules
    assert "performance_drop" not in ev.evaluated_rules  # no labels yet: not evaluable


def test_fingerprint_is_stable_across_days_and_values(rules):
    a = evaluate(rules, signals(5, feature_drift={"amount": 1.5}))
    b = evaluate(rules, signals(9, feature_drift={"amount": 4.0}))
    assert [f.fingerprint for f in a] == [f.fingerprint for f in b] == [fingerprint("fraud_detector", "feature_drift", "amount")]
    assert fingerprint("fraud_detector", "feature_drift", "amount") != fingerprint("demand_forecaster", "feature_drift", "amount")


def test_sla_thresholds_come_from_the_model(rules):
    f = evaluate(rules, signals(5, latency_p95_ms=121.0, error_rate=0.03))
    by_rule = {x.rule: x for x in f}
    assert by_rule["latency_sla"].threshold == 120 and by_rule["latency_sla"].severity == "critical"
    assert by_rule["error_rate_sla"].value == 0.03
    assert evaluate(rules, signals(5, latency_p95_ms=120.0)) == []  # ">" SLA, not ">="


def test_performance_drop_respects_metric_direction(rules):
    auc = evaluate(rules, signals(5, performance={"metric": "auc", "value": 0.85, "baseline": 0.90}))
    assert [x.rule for x in auc] == ["performance_drop"] and abs(auc[0].value - 0.0556) < 1e-3
    rmse_better = evaluate(rules, signals(5, performance={"metric": "rmse", "value": 8.0, "baseline": 10.0}))
    rmse_worse = evaluate(rules, signals(5, performance={"metric": "rmse", "value": 11.0, "baseline": 10.0}))
    assert rmse_better == [] and [x.rule for x in rmse_worse] == ["performance_drop"]
    est = evaluate(rules, signals(5, estimated_performance={"metric": "auc", "value": 0.8, "baseline": 0.9}))
    assert [x.rule for x in est] == ["estimated_performance_drop"]


def test_failed_checks_and_freshness_in_partition_signals(rules):
    s = signals(5, failed_checks=[{"name": "amount_in_range", "severity": "ERROR", "description": "3% out of range"},
                                  {"name": "null_rate_anomaly", "severity": "WARN", "description": "nulls up"}],
                last_drop_at=dt.datetime(2026, 11, 5, 20, tzinfo=dt.timezone.utc))
    f = {x.rule: x for x in evaluate(rules, s)}
    # A blocking (ERROR) check is critical; a warning-level one stays a warning.
    blocking = f["blocking_check_failed"]
    assert blocking.subject == "amount_in_range" and "3% out of range" in blocking.summary
    assert blocking.severity == "critical"
    assert f["failed_check"].subject == "null_rate_anomaly" and f["failed_check"].severity == "warning"
    assert f["stale_predictions"].value == 10.0  # 20:00 -> 06:00 next day, fraud threshold is 6 h


def test_subject_filters_per_model(rules):
    s = signals(5, model_id="demand_forecaster", feature_drift={"temperature_c": 1.5, "price": 1.2},
                sla={"latency_p95_ms": 300, "error_rate": 0.05})
    assert [(x.rule, x.subject) for x in evaluate(rules, s)] == [("feature_drift", "price")]
    s2 = signals(5, model_id="demand_forecaster", feature_drift={"temperature_c": 2.5},
                 sla={"latency_p95_ms": 300, "error_rate": 0.05})
    [f] = evaluate(rules, s2)
    assert (f.rule, f.severity, f.channel) == ("temperature_drift", "info", "#supply-ml-info")


def test_root_causes_rank_by_drift_times_importance_and_pick_hints(rules):
    s = signals(5, feature_drift={"amount": 1.1, "device_type": 5.0, "num_tx_24h": 2.0},
                drifted_features=["amount", "device_type", "num_tx_24h"], dataset_drift_share=0.375,
                new_categories={"device_type": ["smartwatch"]})
    cause = root_causes(s, evaluate(rules, s))
    # num_tx_24h 2.0*0.3=0.6 > amount 1.1*0.5=0.55 > device_type 5.0*0.1=0.5 (strongest drift, least used)
    assert [r.name for r in cause.features] == ["num_tx_24h", "amount", "device_type"]
    titles = [t for t, _ in cause.hints]
    assert titles[0] == "New categories" and "upstream schema or catalog change" in cause.hints[0][1]
    assert "Many features drifted at once" not in titles  # 37.5% < 40%
    one_seasonal = signals(5, model_id="demand_forecaster", feature_drift={"temperature_c": 2.5})
    assert [t for t, _ in root_causes(one_seasonal, evaluate(rules, one_seasonal)).hints] == ["Seasonality"]
    slow = signals(5, latency_p95_ms=400.0)
    assert "capacity" in root_causes(slow, evaluate(rules, slow)).hints[0][1]


def test_markup_from_data_is_escaped(rules):
    evil = "<!channel> & <@U123|boss> @here"
    assert escape(evil) == "&lt;!channel&gt; &amp; &lt;@U123|boss&gt; @\u200bhere"
    s = signals(5, feature_drift={evil: 3.0}, failed_checks=[{"name": "x", "description": "<!here> <http://x|y>"}],
                run_url="https://dagster.example.com/runs/1?a=1&b=<2>", report_url="javascript:alert(1)")
    findings = evaluate(rules, s)
    payload = render_fire("fraud_detector", s.partition_date, findings, root_causes(s, findings), s.run_url, s.report_url)
    flat = str(payload)
    assert "<!channel>" not in flat and "<@U123" not in flat and "<!here>" not in flat and "<http://x" not in flat
    assert "&lt;!channel&gt;" in flat
    assert "<https://dagster.example.com/runs/1?a=1&amp;b=%3C2%3E|Dagster run>" in flat
    assert "javascript:" not in flat  # only http(s) links are rendered


def test_band_rules_page_for_a_drop_inside_the_relative_threshold(rules):
    """A 1.3% AUC drop is far below the 5% rule, but outside the reference band: a warning, not silence."""
    band = {"lower": 0.884, "upper": 0.904, "mean": 0.894}
    small = signals(5, performance={"metric": "auc", "value": 0.882, "baseline": 0.894, "band": band})
    by_rule = {f.rule: f for f in evaluate(rules, small)}
    assert set(by_rule) == {"performance_below_band"} and by_rule["performance_below_band"].severity == "warning"
    f = by_rule["performance_below_band"]
    assert (f.value, f.threshold, f.operator) == (0.882, 0.884, "<")  # the measured value against the band edge
    assert "below its reference band [0.884, 0.904]" in f.summary
    large = signals(5, performance={"metric": "auc", "value": 0.80, "baseline": 0.894, "band": band})
    assert {f.rule: f.severity for f in evaluate(rules, large)} == {
        "performance_below_band": "warning", "performance_drop": "critical"}
    inside = signals(5, performance={"metric": "auc", "value": 0.889, "baseline": 0.894, "band": band})
    ev = evaluate_detailed(rules, inside)
    assert ev.findings == [] and "performance_below_band" in ev.evaluated_rules  # measured, fine: may resolve
    est = signals(5, estimated_performance={"metric": "accuracy", "value": 0.85, "baseline": 0.9,
                                            "band": {"lower": 0.87, "upper": 0.93, "mean": 0.9}})
    assert "estimated_performance_below_band" in {f.rule for f in evaluate(rules, est)}
    mv = signals(5, multivariate={"current_error": 1.9, "lower": 1.1, "upper": 1.4, "drifted": True})
    f_mv = {f.rule: f for f in evaluate(rules, mv)}["multivariate_drift"]
    assert (f_mv.value, f_mv.threshold, f_mv.operator) == (1.9, 1.4, ">")


def test_feature_alert_shows_the_reports_score_threshold_and_method(rules):
    s = signals(5, feature_drift={"amount": 6.811},
                feature_drift_details={"amount": {"score": 0.6811, "threshold": 0.1, "method": "wasserstein",
                                                  "lower_is_drift": False}})
    f = [x for x in evaluate(rules, s) if x.rule == "feature_drift"][0]
    assert (f.value, f.threshold, f.operator) == (0.6811, 0.1, ">=")
    assert "wasserstein 0.6811 vs threshold 0.1" in f.summary and f.details["normalised"] == 6.811
    p = signals(5, feature_drift={"amount": 50.0},
                feature_drift_details={"amount": {"score": 0.001, "threshold": 0.05, "method": "ks",
                                                  "lower_is_drift": True}})
    fp = [x for x in evaluate(rules, p) if x.rule == "feature_drift"][0]
    assert (fp.value, fp.threshold, fp.operator) == (0.001, 0.05, "<") and "below threshold" in fp.summary
