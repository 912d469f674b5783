"""One message of the engine (a route, a kind, its findings) -> one outbox row per target.

Each row holds exactly one target and the payload that target gets, rendered now (so every retry sends the
same content): Slack the Block Kit message, email its subject/plain/HTML, the webhook its JSON body, and
PagerDuty one row per alert (PagerDuty incidents are per alert, keyed by ``dedup_key``). No secret is
ever part of a payload: keys and passwords are added by the senders at send time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from infranaut_pipelines.notify.email import render_email
from infranaut_pipelines.notify.pagerduty import build_event
from infranaut_pipelines.notify.plain import from_slack
from infranaut_pipelines.notify.targets import split_route
from infranaut_pipelines.notify.webhook import build_body


@dataclass(frozen=True)
class Row:
    channel: str  # one target
    fingerprints: list[str]
    payload: dict[str, Any]


def needs_states(route: str) -> bool:
    """Whether the non-Slack renderers need the alert_state rows (Slack's payload is already complete)."""
    return any(t.transport != "slack" for t in split_route(route))


def outbox_rows(route: str, kind: str, model_id: str, partition_date: dt.date | None,
                slack_payload: Mapping[str, Any], fingerprints: Sequence[str],
                states: Mapping[str, Mapping[str, Any]]) -> list[Row]:
    """``states``: alert_state rows by fingerprint, as written by this evaluation (same transaction)."""
    rows: list[Row] = []
    doc = None
    for target in split_route(route):
        if target.transport == "slack":
            rows.append(Row(target.raw, list(fingerprints), dict(slack_payload)))
            continue
        doc = doc or from_slack(slack_payload)
        known = [states[f] for f in fingerprints if f in states]
        if target.transport == "pagerduty":
            rows.extend(Row(target.raw, [s["fingerprint"]], build_event(kind, s, partition_date, doc.links))
                        for s in known)
        elif target.transport == "email":
            rows.append(Row(target.raw, list(fingerprints), render_email(doc)))
        elif target.transport == "webhook":
            rows.append(Row(target.raw, list(fingerprints), build_body(kind, model_id, partition_date, doc, known)))
    return rows
