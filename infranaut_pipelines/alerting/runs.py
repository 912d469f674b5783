"""Failed runs as alerts: a crashed ingestion is as important as a drifted feature.

A run's outcome is evaluated like any other signal, by the ``run_failed`` rules, so it goes through the
same outbox, routes (Slack, PagerDuty, email, webhook), maintenance windows, escalation and deduplication.
The subject is the job and the partition's day: a retried failure is the same alert, and the next successful
run of that job for that day resolves it (an evaluation where the rule was evaluated and did not fire).
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import re

from infranaut_pipelines.alerting.evaluate import Evaluation, Finding, fingerprint, meets
from infranaut_pipelines.alerting.rules import RUN_METRICS, RuleSet

# A run that belongs to no model (retention, a whole-registry job) is recorded under this name.
NO_MODEL = "pipeline"
_MAX_ERROR = 300


def run_subject(job: str, day: dt.date | None) -> str:
    return f"{job} {day.isoformat()}" if day else job


def run_findings(rules: RuleSet, model_id: str, job: str, day: dt.date | None, failed: bool,
                 error: str = "") -> Evaluation:
    """One finding per ``run_failed`` rule when the run failed; none (but evaluated) when it succeeded."""
    findings: list[Finding] = []
    evaluated: set[str] = set()
    subject = run_subject(job, day)
    # The first line of the error is what a reader needs in a message; the rest stays in the run's logs.
    lines = (error or "").strip().splitlines()
    first = re.sub(r"\s+", " ", lines[0]) if lines else "unknown error"
    for rule in rules.rules_for(model_id):
        if rule.metric not in RUN_METRICS or rule.threshold == "sla":
            continue
        if rule.subjects and not any(fnmatch.fnmatchcase(job, p) for p in rule.subjects):
            continue
        evaluated.add(rule.name)
        if meets(rule, 1.0 if failed else 0.0):
            findings.append(Finding(
                fingerprint=fingerprint(model_id, rule.name, subject), model_id=model_id, rule=rule.name,
                metric=rule.metric, subject=subject, severity=rule.severity, value=1.0,
                threshold=float(rule.threshold), operator=rule.operator,
                channel=rules.channel(model_id, rule.severity, rule),
                summary=f"run of {job} failed: {first[:_MAX_ERROR]}", details={"job": job}))
    return Evaluation(findings, frozenset(evaluated), subjects=frozenset({subject}))
