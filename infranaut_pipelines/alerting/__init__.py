"""Alerting: rules (YAML) -> findings -> alert state + outbox (one transaction) -> Slack delivery.

Pure Python (no dagster import); the Dagster ``alerts`` asset and sensors are thin wrappers over this.
"""

from infranaut_pipelines.alerting.deliver import DeliverySummary, deliver_pending
from infranaut_pipelines.alerting.engine import EvaluationSummary, evaluate_and_record, is_historic, record_evaluation
from infranaut_pipelines.alerting.evaluate import (
    Evaluation,
    Finding,
    evaluate,
    evaluate_detailed,
    fingerprint,
    freshness_findings,
)
from infranaut_pipelines.alerting.hints import load_knowledge_base, rank_features, root_causes
from infranaut_pipelines.alerting.rules import (
    METRICS,
    RULES_ENV_VAR,
    MaintenanceWindow,
    Rule,
    RuleSet,
    load_rules,
    parse_rules,
    rules_path,
)
from infranaut_pipelines.alerting.signals import Signals, SlaValues
from infranaut_pipelines.alerting.store import AlertStore

__all__ = [
    "METRICS", "RULES_ENV_VAR", "AlertStore", "DeliverySummary", "Evaluation", "EvaluationSummary", "Finding",
    "MaintenanceWindow", "Rule", "RuleSet", "Signals", "SlaValues", "deliver_pending", "evaluate",
    "evaluate_and_record", "evaluate_detailed", "fingerprint", "freshness_findings", "is_historic", "load_knowledge_base",
    "load_rules", "parse_rules", "rank_features", "record_evaluation", "root_causes", "rules_path",
]
