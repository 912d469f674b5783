"""Evaluate a partition's signals and record the outcome: dedup, suppression, escalation, resolution.

All state changes of one evaluation and the Slack messages they imply are written in ONE transaction
(outbox pattern), so "alert is open" and "a message is queued" can never disagree.

Rules of the game (see docs/alerting.md):
- one alert per fingerprint (model, rule, subject); seeing it again updates last_seen, sends nothing;
- ``evaluations`` counts distinct partitions, so re-running a partition neither duplicates nor escalates;
- a *historic* evaluation (part of a Dagster backfill, or a partition older than the model's label lag plus
  a few days: ``is_historic``) is recorded, but opens, escalates or resolves nothing (old data must not
  page or clear today's alerts); a late-label run for a recent day is live and pages;
- a live evaluation of a day older than an alert's last partition never resolves that alert (day D's
  late labels say nothing about the feature drift seen on D+1);
- an open alert resolves only if its rule was actually evaluated (a metric measured as None, e.g. labels
  not arrived yet, is "unknown", not "fine").
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from infranaut_pipelines.alerting.evaluate import Evaluation, Finding, evaluate_detailed
from infranaut_pipelines.alerting.hints import KnowledgeBase, root_causes
from infranaut_pipelines.alerting.render import render_escalate, render_fire, render_resolve
from infranaut_pipelines.alerting.rules import SEVERITIES, MaintenanceWindow, RuleSet
from infranaut_pipelines.alerting.signals import Signals
from infranaut_pipelines.alerting.store import (
    AlertStore,
    alert_evaluations,
    alert_events,
    alert_state,
    utc_naive,
)

_RANK = {s: i for i, s in enumerate(SEVERITIES)}
# Slack beyond the label lag before a day counts as history: uploads are late, re-runs happen.
HISTORIC_SLACK_DAYS = 3


def is_historic(partition_date: dt.date, today: dt.date, *, in_backfill: bool, label_lag_days: int = 1,
                historic_after_days: int | None = None) -> bool:
    """Whether an evaluation only records (backfill, or too old to be news) instead of paging."""
    if in_backfill:
        return True
    window = historic_after_days if historic_after_days is not None else label_lag_days + HISTORIC_SLACK_DAYS
    return (today - partition_date).days > window


@dataclass
class EvaluationSummary:
    model_id: str
    partition_date: dt.date
    findings: int = 0
    historic: bool = False
    fired: list[str] = field(default_factory=list)
    still_open: list[str] = field(default_factory=list)
    escalated: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    suppressed: list[str] = field(default_factory=list)
    outbox_ids: list[int] = field(default_factory=list)

    def as_metadata(self) -> dict[str, Any]:
        return {k: (len(v) if isinstance(v, list) else v) for k, v in self.__dict__.items()
                if k not in ("model_id", "partition_date")} | {"partition_date": str(self.partition_date)}


def _in_window(windows: Sequence[MaintenanceWindow], model_id: str, rule: str, partition: dt.date,
               now: dt.datetime) -> bool:
    """Suppressed if a window covers the evaluation time or overlaps the partition's day (the data itself)."""
    day_start = dt.datetime.combine(partition, dt.time(), tzinfo=dt.timezone.utc)
    for w in windows:
        if w.covers(model_id, rule, now):
            return True
        if w.model in ("*", model_id) and (w.rule is None or w.rule == rule):
            start = w.start if w.start.tzinfo else w.start.replace(tzinfo=dt.timezone.utc)
            end = w.end if w.end.tzinfo else w.end.replace(tzinfo=dt.timezone.utc)
            if start < day_start + dt.timedelta(days=1) and end > day_start:
                return True
    return False


def evaluate_and_record(store: AlertStore, rules: RuleSet, signals: Signals,
                        maintenance_windows: Sequence[MaintenanceWindow] | None = None,
                        knowledge_base: KnowledgeBase | None = None, *, historic: bool = False) -> EvaluationSummary:
    """Evaluate ``signals`` against ``rules`` and record state + outbox messages in one transaction.

    ``maintenance_windows`` defaults to the windows declared in the rules file; ``historic`` (see
    ``is_historic``) records without opening, escalating, resolving or sending.
    """
    return record_evaluation(store, rules, signals.model_id, signals.partition_date,
                             evaluate_detailed(rules, signals), signals.now, maintenance_windows,
                             signals=signals, knowledge_base=knowledge_base, historic=historic)


def record_evaluation(store: AlertStore, rules: RuleSet, model_id: str, partition_date: dt.date,
                      evaluation: Evaluation, now: dt.datetime,
                      maintenance_windows: Sequence[MaintenanceWindow] | None = None, *,
                      signals: Signals | None = None, source: str = "partition",
                      knowledge_base: KnowledgeBase | None = None, historic: bool = False) -> EvaluationSummary:
    """Record an evaluation (from ``evaluate_detailed`` or, with ``source="sensor"``, ``freshness_findings``)."""
    windows = rules.maintenance_windows if maintenance_windows is None else tuple(maintenance_windows)
    findings = evaluation.findings
    summary = EvaluationSummary(model_id, partition_date, findings=len(findings))
    ts = utc_naive(now)
    run_url = signals.run_url if signals else None
    report_url = signals.report_url if signals else None
    with store.transaction() as conn:
        store.lock_model(conn, model_id)
        summary.historic = historic
        suppressed_fp = {f.fingerprint for f in findings
                         if _in_window(windows, model_id, f.rule, partition_date, now)}
        _record_events(conn, model_id, partition_date, evaluation, suppressed_fp, ts)
        _record_evaluation_row(conn, model_id, partition_date, source, ts, len(findings), summary.historic)
        if summary.historic:
            return summary

        states = {s["fingerprint"]: s for s in store.states(model_id, conn)}
        fires: dict[str, list[Finding]] = defaultdict(list)
        escalations: dict[str, list[tuple[Finding, str, str, int]]] = defaultdict(list)
        for f in findings:
            st = states.get(f.fingerprint)
            suppressed = f.fingerprint in suppressed_fp
            if st is None or st["status"] == "resolved":
                status = "suppressed" if suppressed else "open"
                _upsert_new(conn, f, status, partition_date, ts, exists=st is not None)
                (summary.suppressed if suppressed else summary.fired).append(f.fingerprint)
                if not suppressed:
                    fires[f.channel].append(f)
                continue
            new_partition = partition_date != st["last_partition"]
            evaluations = st["evaluations"] + (1 if new_partition else 0)
            last = max(partition_date, st["last_partition"]) if st["last_partition"] else partition_date
            values: dict[str, Any] = dict(last_seen=ts, evaluations=evaluations, last_partition=last,
                                          last_value=f.value, summary=f.summary)
            if st["status"] == "suppressed":
                if suppressed:
                    summary.suppressed.append(f.fingerprint)
                else:  # the window is over and the problem is still there: now it is news
                    values.update(status="open", evaluations=1, severity=f.severity, base_severity=f.severity,
                                  channel=f.channel, escalated=False)
                    fires[f.channel].append(f)
                    summary.fired.append(f.fingerprint)
            else:
                summary.still_open.append(f.fingerprint)
                old = st["severity"]
                target = old
                if _RANK[f.severity] > _RANK[old]:  # the rule itself now says worse (config change)
                    target = f.severity
                elif (new_partition and not suppressed and not st["escalated"]
                      and evaluations >= rules.escalate_after(model_id)
                      and _RANK[old] < _RANK["critical"]):
                    target = SEVERITIES[_RANK[old] + 1]
                if target != old:
                    rule = rules.rule(model_id, f.rule)
                    channel = rules.channel(model_id, target, rule)
                    values.update(severity=target, escalated=True, channel=channel)
                    escalations[channel].append((f, old, target, evaluations))
                    summary.escalated.append(f.fingerprint)
            conn.execute(alert_state.update().where(alert_state.c.fingerprint == f.fingerprint).values(**values))

        seen = {f.fingerprint for f in findings}
        active_rules = {r.name for r in rules.rules_for(model_id)}
        resolves: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for fp, st in states.items():
            if fp in seen or st["status"] not in ("open", "suppressed"):
                continue
            if evaluation.subjects is not None and st["subject"] not in evaluation.subjects:
                continue  # the evaluation spoke for other subjects only
            if st["rule"] not in evaluation.evaluated_rules and (st["rule"] in active_rules or source != "partition"):
                continue  # not measured this time: unknown, not fine
            if source == "partition" and st["last_partition"] and st["last_partition"] > partition_date:
                continue  # an older day (late labels) cannot clear what a newer day saw
            conn.execute(alert_state.update().where(alert_state.c.fingerprint == fp).values(
                status="resolved", resolved_at=ts, last_seen=ts, last_partition=partition_date))
            conn.execute(alert_events.insert().values(
                fingerprint=fp, partition_date=partition_date, model_id=model_id, rule=st["rule"],
                subject=st["subject"], severity=st["severity"], result="resolved", value=None, threshold=None,
                summary="cleared", recorded_at=ts))
            summary.resolved.append(fp)
            if st["status"] == "open":  # a suppressed alert was never announced, so it clears silently
                resolves[st["channel"]].append(st)

        kb = knowledge_base
        for group in fires.values():
            group.sort(key=lambda f: (-_RANK[f.severity], f.rule, f.subject))
        # The most severe message first: it is the one someone must read if they read only one.
        for channel, group in sorted(fires.items(), key=lambda kv: (-_RANK[kv[1][0].severity], kv[0])):
            payload = render_fire(model_id, partition_date, group, root_causes(signals, group, kb), run_url, report_url)
            summary.outbox_ids.extend(store.enqueue(
                conn, fingerprints=[f.fingerprint for f in group], model_id=model_id, partition_date=partition_date,
                kind="fire", channel=channel, payload=payload, now=now))
        for channel, items in escalations.items():
            payload = render_escalate(model_id, partition_date, items, run_url, report_url)
            summary.outbox_ids.extend(store.enqueue(
                conn, fingerprints=[i[0].fingerprint for i in items], model_id=model_id,
                partition_date=partition_date, kind="escalate", channel=channel, payload=payload, now=now))
        for channel, rows in resolves.items():
            payload = render_resolve(model_id, partition_date, rows, run_url)
            summary.outbox_ids.extend(store.enqueue(
                conn, fingerprints=[r["fingerprint"] for r in rows], model_id=model_id,
                partition_date=partition_date, kind="resolve", channel=channel, payload=payload, now=now))
    return summary


def _record_events(conn: sa.Connection, model_id: str, partition_date: dt.date, evaluation: Evaluation,
                   suppressed: set[str], ts: dt.datetime) -> None:
    """History: replace this partition's rows for the rules evaluated now (a re-run does not duplicate)."""
    rules = set(evaluation.evaluated_rules) | {f.rule for f in evaluation.findings}
    if rules:
        conn.execute(alert_events.delete().where(
            alert_events.c.model_id == model_id, alert_events.c.partition_date == partition_date,
            alert_events.c.rule.in_(sorted(rules))))
    for f in evaluation.findings:
        conn.execute(alert_events.insert().values(
            fingerprint=f.fingerprint, partition_date=partition_date, model_id=model_id, rule=f.rule,
            subject=f.subject, severity=f.severity, result="suppressed" if f.fingerprint in suppressed else "fired",
            value=f.value, threshold=f.threshold, summary=f.summary, recorded_at=ts))


def _record_evaluation_row(conn: sa.Connection, model_id: str, partition_date: dt.date, source: str,
                           ts: dt.datetime, n: int, historic: bool) -> None:
    t = alert_evaluations
    conn.execute(t.delete().where(t.c.model_id == model_id, t.c.partition_date == partition_date, t.c.source == source))
    conn.execute(t.insert().values(model_id=model_id, partition_date=partition_date, source=source,
                                   evaluated_at=ts, findings=n, historic=historic))


def _upsert_new(conn: sa.Connection, f: Finding, status: str, partition_date: dt.date, ts: dt.datetime,
                exists: bool) -> None:
    values = dict(model_id=f.model_id, rule=f.rule, subject=f.subject, metric=f.metric, severity=f.severity,
                  base_severity=f.severity, status=status, channel=f.channel, first_seen=ts, last_seen=ts,
                  evaluations=1, last_partition=partition_date, escalated=False, resolved_at=None,
                  last_value=f.value, summary=f.summary)
    if exists:  # a resolved alert that comes back is a new episode: reset its counters
        conn.execute(alert_state.update().where(alert_state.c.fingerprint == f.fingerprint).values(**values))
    else:
        conn.execute(alert_state.insert().values(fingerprint=f.fingerprint, **values))
