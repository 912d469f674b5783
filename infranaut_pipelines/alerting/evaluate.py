"""Pure rule evaluation: Signals + RuleSet -> Findings, each with a fingerprint stable across runs and days.

The fingerprint is hash(model, rule, subject) and deliberately excludes the date and the value: the same
feature drifting on five consecutive days is one problem, hence one alert that stays open.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import fnmatch
import hashlib
import math
import operator as op
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from infranaut_pipelines.alerting.rules import BAND_METRICS, METRICS, RUN_METRICS, Rule, RuleSet
from infranaut_pipelines.alerting.signals import Signals

_OPS = {">": op.gt, ">=": op.ge, "<": op.lt, "<=": op.le, "==": op.eq, "!=": op.ne}


def meets(rule: Rule, value: float) -> bool:
    """Whether ``value`` fires ``rule`` (its operator against its numeric threshold)."""
    return rule.threshold != "sla" and _OPS[rule.operator](value, rule.threshold)


def fingerprint(model_id: str, rule: str, subject: str = "") -> str:
    return hashlib.sha256("\x1f".join((model_id, rule, subject)).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Finding:
    fingerprint: str
    model_id: str
    rule: str
    metric: str
    subject: str
    severity: str
    value: float | None
    threshold: float
    operator: str
    channel: str
    summary: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint, "model_id": self.model_id, "rule": self.rule, "metric": self.metric,
            "subject": self.subject, "severity": self.severity, "value": self.value, "threshold": self.threshold,
            "operator": self.operator, "channel": self.channel, "summary": self.summary, "details": self.details,
        }


@dataclass(frozen=True)
class Evaluation:
    findings: list[Finding]
    # Rules whose metric was measured in this partition: only their open alerts may be resolved.
    evaluated_rules: frozenset[str]
    # When set, only open alerts on these subjects may be resolved (a run's outcome speaks for its own job and
    # day, not for every failure of the model).
    subjects: frozenset[str] | None = None


def _num(v: float | None) -> str:
    if v is None or (isinstance(v, float) and math.isinf(v)):
        return "n/a"
    return f"{v:.4g}"


def _subjects(rule: Rule, names: Iterable[str]) -> list[str]:
    return [n for n in names if rule.subjects is None or any(fnmatch.fnmatchcase(n, p) for p in rule.subjects)]


def _scalar(rule: Rule, s: Signals) -> tuple[float | None, float, str]:
    """(value, threshold, summary) for the scalar metrics."""
    m = rule.metric
    thr = rule.threshold
    if m in ("latency_p95_ms", "error_rate"):
        value = getattr(s, m)
        limit = getattr(s.sla, m) if thr == "sla" else thr
        if limit is None:
            return None, math.nan, ""
        unit = " ms" if m == "latency_p95_ms" else ""
        label = "p95 latency" if m == "latency_p95_ms" else "error rate"
        return value, float(limit), f"{label} {_num(value)}{unit} vs SLA {_num(float(limit))}{unit}"
    assert thr != "sla"
    if m == "dataset_drift_share":
        v = s.dataset_drift_share
        n = len(s.drifted_features)
        return v, thr, f"{_num(v * 100 if v is not None else None)}% of features drifted ({n})"
    if m in ("dataset_drift", "prediction_drifted"):
        flag = getattr(s, m)
        return (None if flag is None else float(flag)), thr, m.replace("_", " ") + (" = yes" if flag else " = no")
    if m == "prediction_drift_score":
        return s.prediction_drift_score, thr, f"prediction drift score {_num(s.prediction_drift_score)}"
    if m == "quality_score":
        return s.quality_score, thr, f"data quality score {_num(s.quality_score)}"
    if m == "failed_checks_count":
        return float(len(s.failed_checks)), thr, f"{len(s.failed_checks)} data check(s) failed"
    if m in ("performance_drop", "estimated_performance_drop"):
        perf = s.performance if m == "performance_drop" else s.estimated_performance
        drop = None if perf is None else perf.relative_drop()
        kind = "" if m == "performance_drop" else "estimated "
        if drop is None or perf is None:
            return None, thr, ""
        return drop, thr, (
            f"{kind}{perf.metric} {_num(perf.value)} vs baseline {_num(perf.baseline)} ({_num(drop * 100)}% worse)"
        )
    if m in RUN_METRICS:
        return None, thr, ""  # evaluated by the run-status sensors (alerting/runs.py), not per partition
    if m == "hours_since_last_drop":
        if s.last_drop_at is None:
            return None, thr, ""
        hours = hours_since(s.last_drop_at, s.now)
        return hours, thr, f"no prediction drop for {_num(hours)} h (last at {s.last_drop_at:%Y-%m-%d %H:%M})"
    raise AssertionError(m)


def _band_verdict(rule: Rule, s: Signals) -> tuple[float, float, float, str, str] | None:
    """(1.0/0.0 outside the band, measured value, band edge, comparison shown, summary) or None if unmeasured."""
    if rule.metric == "multivariate_drift":
        mv = s.multivariate
        if mv is None or mv.error or mv.current_error is None or mv.upper is None:
            return None
        err, upper, lower = float(mv.current_error), float(mv.upper), mv.lower
        out = bool(mv.drifted)
        low = lower is not None and err < float(lower)
        edge, side = (float(lower), "<") if low else (upper, ">")
        return (1.0 if out else 0.0), err, edge, side, (
            f"multivariate reconstruction error {_num(err)} outside its reference band "
            f"[{_num(None if lower is None else float(lower))}, {_num(upper)}]")
    perf = s.performance if rule.metric == "performance_below_band" else s.estimated_performance
    verdict = None if perf is None else perf.outside_band()
    if verdict is None or perf is None or perf.band is None or perf.value is None:
        return None
    worse, edge = verdict
    band, higher = perf.band, perf.better_when_higher
    kind = "" if rule.metric == "performance_below_band" else "estimated "
    return (1.0 if worse else 0.0), float(perf.value), edge, "<" if higher else ">", (
        f"{kind}{perf.metric} {_num(float(perf.value))} "
        f"{'below' if higher else 'above'} its reference band [{_num(band.lower)}, "
        f"{_num(band.upper)}] (baseline {_num(perf.baseline)})")


def hours_since(t: dt.datetime, now: dt.datetime) -> float:
    t = t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)
    now = now if now.tzinfo else now.replace(tzinfo=dt.timezone.utc)
    return (now - t).total_seconds() / 3600.0


def _finding(rules: RuleSet, rule: Rule, model_id: str, subject: str, value: float | None, threshold: float,
             summary: str, details: dict[str, Any] | None = None) -> Finding:
    return Finding(
        fingerprint=fingerprint(model_id, rule.name, subject), model_id=model_id, rule=rule.name,
        metric=rule.metric, subject=subject, severity=rule.severity,
        value=None if value is None or math.isinf(value) else float(value), threshold=float(threshold),
        operator=rule.operator, channel=rules.channel(model_id, rule.severity, rule),
        summary=summary, details=details or {},
    )


def _segment_findings(rules: RuleSet, rule: Rule, s: Signals, evaluated: set[str]) -> list[Finding]:
    """One finding per segment (and feature): deduplicated per subject by the fingerprint."""
    cmp, out = _OPS[rule.operator], []
    assert rule.threshold != "sla"
    if rule.metric == "segment_feature_drift":
        if s.segment_feature_drift is None:
            return out
        evaluated.add(rule.name)
        for subject in _subjects(rule, sorted(s.segment_feature_drift)):
            score = s.segment_feature_drift[subject]
            if cmp(score, rule.threshold):
                segment, feature = subject.rsplit("/", 1)
                out.append(_finding(rules, rule, s.model_id, subject, score, rule.threshold,
                                    f"feature {feature} drifted in segment {segment}: {_num(score)}x its threshold",
                                    {"segment": segment, "feature": feature}))
        return out
    if s.segment_performance is None:
        return out
    evaluated.add(rule.name)
    for segment in _subjects(rule, sorted(s.segment_performance)):
        perf = s.segment_performance[segment]
        drop = perf.relative_drop()
        if drop is not None and cmp(drop, rule.threshold):
            out.append(_finding(rules, rule, s.model_id, segment, drop, rule.threshold,
                                f"{perf.metric} in segment {segment} "
                                f"{_num(perf.value)} vs its baseline {_num(perf.baseline)} "
                                f"({_num(drop * 100)}% worse)", {"segment": segment}))
    return out


def evaluate_detailed(rules: RuleSet, signals: Signals) -> Evaluation:
    findings: list[Finding] = []
    evaluated: set[str] = set()
    s = signals
    for rule in rules.rules_for(s.model_id):
        cmp = _OPS[rule.operator]
        if rule.metric == "feature_drift":
            if not s.feature_drift_evaluable:
                continue
            evaluated.add(rule.name)
            assert rule.threshold != "sla"
            for feat in _subjects(rule, sorted(s.feature_drift)):
                score = s.feature_drift[feat]
                if score is not None and cmp(score, rule.threshold):
                    det = dict(s.feature_drift_details.get(feat, {}))
                    det["importance"] = s.feature_importance.get(feat)
                    det["normalised"] = score
                    f = _finding(rules, rule, s.model_id, feat, score, rule.threshold,
                                 f"feature {feat} drifted: {_num(score)}x its threshold", det)
                    if det.get("score") is not None and det.get("threshold") is not None:
                        # The report's numbers, not the normalised ratio the rule compares: the on-call reads
                        # "wasserstein 0.6811 vs 0.1" in Slack and the same in the report.
                        method = det.get("method") or "score"
                        p_value = bool(det.get("lower_is_drift"))  # p-values drift when small
                        f = dataclasses.replace(
                            f, value=float(det["score"]), threshold=float(det["threshold"]),
                            operator="<" if p_value else ">=",
                            summary=f"feature {feat} drifted: {method} {_num(det['score'])} "
                                    f"{'below' if p_value else 'vs'} threshold {_num(det['threshold'])} "
                                    f"({_num(score)}x its threshold)")
                    findings.append(f)
        elif rule.metric in ("segment_feature_drift", "segment_performance_drop"):
            findings += _segment_findings(rules, rule, s, evaluated)
        elif rule.metric == "failed_check":
            evaluated.add(rule.name)
            wanted = {c.lower() for c in rule.check_severities} if rule.check_severities else None
            for check in s.failed_checks:
                name = str(check.get("name", "unnamed"))
                if wanted is not None and str(check.get("severity", "")).lower() not in wanted:
                    continue
                if _subjects(rule, [name]) and cmp(1.0, rule.threshold):
                    desc = str(check.get("description", "") or "")
                    findings.append(_finding(rules, rule, s.model_id, name, 1.0, rule.threshold,
                                             f"check {name} failed" + (f": {desc}" if desc else ""),
                                             {"check_severity": check.get("severity")}))
        elif rule.metric in BAND_METRICS:
            band = _band_verdict(rule, s)
            if band is None:
                continue
            evaluated.add(rule.name)
            flag, measured, edge, side, summary = band
            assert rule.threshold != "sla"
            if _OPS[rule.operator](flag, rule.threshold):
                # Shown as the report shows it: the measured value against the band edge it crossed.
                findings.append(Finding(
                    fingerprint=fingerprint(s.model_id, rule.name), model_id=s.model_id, rule=rule.name,
                    metric=rule.metric, subject="", severity=rule.severity, value=measured, threshold=edge,
                    operator=side, channel=rules.channel(s.model_id, rule.severity, rule), summary=summary))
        else:
            value, threshold, summary = _scalar(rule, s)
            if value is None or (isinstance(threshold, float) and math.isnan(threshold)):
                continue
            evaluated.add(rule.name)
            if cmp(value, threshold):
                findings.append(_finding(rules, rule, s.model_id, "", value, threshold, summary))
    return Evaluation(findings, frozenset(evaluated))


def evaluate(rules: RuleSet, signals: Signals) -> list[Finding]:
    return evaluate_detailed(rules, signals).findings


def freshness_findings(
    last_drop_at_by_model: Mapping[str, dt.datetime | None], now: dt.datetime, rules: RuleSet,
    models: Iterable[str] | None = None,
) -> dict[str, Evaluation]:
    """Freshness for every model (registry models by default): no drop for N hours -> a finding.

    A registered model with no drop at all counts as infinitely stale. Returns one Evaluation per model so a
    sensor can record it (``record_evaluation``) and resolve the alert once data arrives again.
    """
    out: dict[str, Evaluation] = {}
    for model_id in sorted(set(models if models is not None else rules.routing) | set(last_drop_at_by_model)):
        last = last_drop_at_by_model.get(model_id)
        hours = math.inf if last is None else hours_since(last, now)
        findings, evaluated = [], set()
        for rule in rules.rules_for(model_id):
            if not rule.is_freshness:
                continue
            assert rule.threshold != "sla"
            evaluated.add(rule.name)
            if _OPS[rule.operator](hours, rule.threshold):
                summary = ("no prediction drop has ever arrived" if last is None
                           else f"no prediction drop for {_num(hours)} h (last at {last:%Y-%m-%d %H:%M})")
                findings.append(_finding(rules, rule, model_id, "", hours, rule.threshold, summary))
        out[model_id] = Evaluation(findings, frozenset(evaluated))
    return out


__all__ = ["METRICS", "Evaluation", "Finding", "evaluate", "evaluate_detailed", "fingerprint", "freshness_findings"]
