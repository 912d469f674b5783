"""The channel tests' own model, registry and rules: a stranger's model routed to every channel."""

from __future__ import annotations

import datetime as dt

from infranaut_pipelines.alerting import RuleSet, Signals, parse_rules
from infranaut_pipelines.registry import parse_registry
from tests.support.own_model import MODEL, REGISTRY_YAML

OWN = parse_registry(REGISTRY_YAML, "own-models.yaml")

# Critical pages PagerDuty (and the on-call Slack channel), warnings go to mail and the webhook.
RULES_YAML = f"""
defaults:
  - {{name: feature_drift, metric: feature_drift, operator: ">=", threshold: 1.0, severity: warning}}
  - {{name: latency_sla, metric: latency_p95_ms, operator: ">", threshold: sla, severity: critical}}
  - {{name: data_checks, metric: failed_check, operator: ">=", threshold: 1, severity: warning}}
routes:
  critical: ["#growth-oncall", pagerduty]
models:
  {MODEL}:
    routes: {{warning: ["#growth-ml", "email:growth-ml@acme.test", webhook]}}
"""


def own_rules(text: str = RULES_YAML) -> RuleSet:
    return parse_rules(text, OWN, "own-rules.yaml", "own-models.yaml")


def own_signals(day: int = 5, **kw) -> Signals:
    """Healthy signals for the own model on 2026-11-<day>, evaluated the next morning, with overrides."""
    base = dict(
        model_id=MODEL, partition_date=dt.date(2026, 11, day),
        now=dt.datetime(2026, 11, day, 6, 0, tzinfo=dt.timezone.utc) + dt.timedelta(days=1),
        dataset_drift_share=0.0, dataset_drift=False,
        feature_drift={"tenure_months": 0.2, "monthly_spend": 0.3, "plan": 0.1}, drifted_features=[],
        prediction_drift_score=0.01, prediction_drifted=False, quality_score=1.0,
        latency_p95_ms=90.0, error_rate=0.001, sla={"latency_p95_ms": 250, "error_rate": 0.05},
        run_url="https://dagster.example.com/runs/r1?tab=logs&x=1",
        report_url="https://reports.example.com/churn/2026-11-05.html",
    )
    base.update(kw)
    return Signals(**base)


class FakeSleep:
    """Records requested waits instead of sleeping (the values are asserted, so they are honoured)."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
