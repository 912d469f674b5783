"""Alert state, outbox and history tables (SQLAlchemy Core: DuckDB by default, PostgreSQL in production).

The outbox pattern: the evaluation writes the state change and the message to send in one transaction;
delivery to Slack is a separate step that reads the outbox. So a Slack outage never loses an alert, and a
crash between "decided to alert" and "posted" leaves a pending row instead of a forgotten alert.

Timestamps are stored as naive UTC (portable between DuckDB and PostgreSQL without timezone libraries).
"""

from __future__ import annotations

import datetime as dt
import json
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from infranaut_pipelines.alerting.fanout import needs_states, outbox_rows
from infranaut_pipelines.warehouse import Warehouse

metadata = sa.MetaData()

alert_state = sa.Table(
    "alert_state", metadata,
    sa.Column("fingerprint", sa.String(64), primary_key=True),
    sa.Column("model_id", sa.String(64), nullable=False, index=True),
    sa.Column("rule", sa.String(128), nullable=False),
    sa.Column("subject", sa.Text, nullable=False, default=""),
    sa.Column("metric", sa.String(64), nullable=False),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("base_severity", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # open | resolved | suppressed
    sa.Column("channel", sa.Text, nullable=False),
    sa.Column("first_seen", sa.DateTime, nullable=False),
    sa.Column("last_seen", sa.DateTime, nullable=False),
    sa.Column("evaluations", sa.Integer, nullable=False),
    sa.Column("last_partition", sa.Date, nullable=False),
    sa.Column("escalated", sa.Boolean, nullable=False, default=False),
    sa.Column("resolved_at", sa.DateTime),
    sa.Column("last_value", sa.Float),
    sa.Column("summary", sa.Text),
)

outbox_id_seq = sa.Sequence("alert_outbox_id_seq", metadata=metadata)
alert_outbox = sa.Table(
    "alert_outbox", metadata,
    sa.Column("id", sa.BigInteger, outbox_id_seq, primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),  # the message's most severe finding
    sa.Column("fingerprints", sa.Text, nullable=False),  # JSON list: all findings in this message
    sa.Column("model_id", sa.String(64), nullable=False),
    sa.Column("partition_date", sa.Date),
    sa.Column("kind", sa.String(16), nullable=False),  # fire | escalate | resolve | acknowledge
    sa.Column("channel", sa.Text, nullable=False),  # one target: #slack, pagerduty, email[:to], webhook
    sa.Column("payload", sa.Text, nullable=False),  # JSON: that target's message (Slack: {"text", "blocks"})
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # pending | sent | failed
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("last_error", sa.Text),
    sa.Column("last_attempt_at", sa.DateTime),
    sa.Column("sent_at", sa.DateTime),
    sa.Column("slack_ts", sa.String(64)),
    sa.Column("slack_channel_id", sa.String(64)),
    # True from "about to POST" until the outcome is recorded: after a crash, Slack may have the message.
    sa.Column("in_doubt", sa.Boolean, nullable=False, default=False),
    sa.Column("claim_token", sa.String(64)),
    sa.Column("claimed_until", sa.DateTime),
)

alert_events = sa.Table(
    "alert_events", metadata,
    sa.Column("fingerprint", sa.String(64), primary_key=True),
    sa.Column("partition_date", sa.Date, primary_key=True),
    sa.Column("model_id", sa.String(64), nullable=False, index=True),
    sa.Column("rule", sa.String(128), nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("result", sa.String(16), nullable=False),  # fired | suppressed | resolved
    sa.Column("value", sa.Float),
    sa.Column("threshold", sa.Float),
    sa.Column("summary", sa.Text),
    sa.Column("recorded_at", sa.DateTime, nullable=False),
)

# One row per evaluation (model, partition, source): tells a backfill of an old partition from the latest one.
alert_evaluations = sa.Table(
    "alert_evaluations", metadata,
    sa.Column("model_id", sa.String(64), primary_key=True),
    sa.Column("partition_date", sa.Date, primary_key=True),
    sa.Column("source", sa.String(16), primary_key=True),  # partition | sensor | run
    sa.Column("evaluated_at", sa.DateTime, nullable=False),
    sa.Column("findings", sa.Integer, nullable=False),
    sa.Column("historic", sa.Boolean, nullable=False),
)


def utc_naive(t: dt.datetime) -> dt.datetime:
    return t.astimezone(dt.timezone.utc).replace(tzinfo=None) if t.tzinfo else t


class AlertStore:
    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse
        self.engine = warehouse.engine
        self.dialect = warehouse.dialect
        # The warehouse remembers which tables exist: once they do, creating a store opens no connection.
        if not all(warehouse.table_exists(name) for name in metadata.tables):
            metadata.create_all(self.engine, checkfirst=True)

    @contextmanager
    def transaction(self) -> Iterator[sa.Connection]:
        with self.engine.begin() as conn:
            yield conn

    def lock_model(self, conn: sa.Connection, model_id: str) -> None:
        """Serialise evaluations of one model (two partitions of the same model running at once)."""
        if self.dialect == "postgresql":
            key = zlib.crc32(f"infranaut-alerts:{model_id}".encode())
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
        # DuckDB: one writer per file, and conflicting writes abort the transaction anyway.

    # --- state ---------------------------------------------------------------------------------------
    def states(self, model_id: str | None = None, conn: sa.Connection | None = None) -> list[dict[str, Any]]:
        q = sa.select(alert_state).order_by(alert_state.c.first_seen, alert_state.c.fingerprint)
        if model_id is not None:
            q = q.where(alert_state.c.model_id == model_id)
        return self._rows(q, conn)

    def state(self, fingerprint: str) -> dict[str, Any] | None:
        rows = self._rows(sa.select(alert_state).where(alert_state.c.fingerprint == fingerprint), None)
        return rows[0] if rows else None

    def events(self, model_id: str | None = None) -> list[dict[str, Any]]:
        q = sa.select(alert_events).order_by(alert_events.c.partition_date, alert_events.c.fingerprint)
        if model_id is not None:
            q = q.where(alert_events.c.model_id == model_id)
        return self._rows(q, None)

    # --- outbox --------------------------------------------------------------------------------------
    def enqueue(self, conn: sa.Connection, *, fingerprints: list[str], model_id: str, partition_date: dt.date | None,
                kind: str, channel: str, payload: dict[str, Any], now: dt.datetime) -> list[int]:
        """Queue one message of the engine: one row per target of ``channel`` (a route, see notify.targets),
        each with that target's payload rendered from ``payload`` (Block Kit) and the alerts' state.

        A resolve also reaches a PagerDuty incident this episode opened even if the alert's route no longer
        names PagerDuty (e.g. it escalated to a route without it): an incident must never stay open."""
        states: dict[str, dict[str, Any]] = {}
        if needs_states(channel) or kind == "resolve":
            q = sa.select(alert_state).where(alert_state.c.fingerprint.in_(fingerprints))
            states = {r["fingerprint"]: r for r in self._rows(q, conn)}
        rows = outbox_rows(channel, kind, model_id, partition_date, payload, fingerprints, states)
        if kind == "resolve" and "pagerduty" not in channel.split():
            paged = self._paged(conn, [s for s in states.values()])
            if paged:
                rows += outbox_rows("pagerduty", kind, model_id, partition_date, payload, paged, states)
        return [self._insert(conn, r.fingerprints, model_id, partition_date, kind, r.channel, r.payload, now)
                for r in rows]

    def _paged(self, conn: sa.Connection, states: list[dict[str, Any]]) -> list[str]:
        """Fingerprints whose current episode sent a PagerDuty trigger."""
        c = alert_outbox.c
        out = []
        for st in states:
            hit = conn.execute(sa.select(c.id).where(
                c.channel == "pagerduty", c.fingerprint == st["fingerprint"], c.kind.in_(("fire", "escalate")),
                c.created_at >= st["first_seen"]).limit(1)).first()
            if hit is not None:
                out.append(st["fingerprint"])
        return out

    def _insert(self, conn: sa.Connection, fingerprints: list[str], model_id: str, partition_date: dt.date | None,
                kind: str, channel: str, payload: dict[str, Any], now: dt.datetime) -> int:
        return int(conn.execute(alert_outbox.insert().values(
            fingerprint=fingerprints[0], fingerprints=json.dumps(fingerprints), model_id=model_id,
            partition_date=partition_date, kind=kind, channel=channel, payload=json.dumps(payload, default=str),
            created_at=utc_naive(now), status="pending", attempts=0, in_doubt=False,
        ).returning(alert_outbox.c.id)).scalar_one())

    def acknowledge(self, fingerprints: list[str], now: dt.datetime) -> list[int]:
        """Operator action: acknowledge these open alerts' PagerDuty incidents (``event_action: acknowledge``
        with the same dedup key). Delivered by the next ``deliver_pending``; returns the new outbox ids."""
        with self.transaction() as conn:
            q = sa.select(alert_state).where(alert_state.c.fingerprint.in_(fingerprints),
                                             alert_state.c.status == "open")
            states = {r["fingerprint"]: r for r in self._rows(q, conn)}
            paged = self._paged(conn, list(states.values()))
            ids = []
            for fp in paged:
                st = states[fp]
                for r in outbox_rows("pagerduty", "acknowledge", st["model_id"], st["last_partition"], {}, [fp], states):
                    ids.append(self._insert(conn, r.fingerprints, st["model_id"], st["last_partition"],
                                            "acknowledge", r.channel, r.payload, now))
            return ids

    def outbox(self, status: str | None = None) -> list[dict[str, Any]]:
        q = sa.select(alert_outbox).order_by(alert_outbox.c.id)
        if status is not None:
            q = q.where(alert_outbox.c.status == status)
        return self._rows(q, None)

    def claim(self, outbox_id: int, token: str, now: dt.datetime, lease: dt.timedelta) -> dict[str, Any] | None:
        """Take the row for this delivery run unless another live run holds it (its lease not expired)."""
        now = utc_naive(now)
        c = alert_outbox.c
        with self.transaction() as conn:
            row = conn.execute(
                alert_outbox.update()
                .where(c.id == outbox_id, c.status == "pending",
                       sa.or_(c.claim_token.is_(None), c.claim_token == token, c.claimed_until < now))
                .values(claim_token=token, claimed_until=now + lease)
                .returning(*alert_outbox.c)
            ).mappings().first()
        return dict(row) if row else None

    def start_attempt(self, outbox_id: int, token: str, now: dt.datetime, lease: dt.timedelta) -> None:
        """Committed *before* the POST: if we crash after Slack accepted it, the row says 'in doubt'."""
        self._update(outbox_id, token, attempts=alert_outbox.c.attempts + 1, in_doubt=True,
                     last_attempt_at=utc_naive(now), claimed_until=utc_naive(now) + lease)

    def attempt_failed(self, outbox_id: int, token: str, error: str, in_doubt: bool) -> None:
        self._update(outbox_id, token, last_error=error[:500], in_doubt=in_doubt)

    def mark_sent(self, outbox_id: int, token: str, now: dt.datetime, ts: str | None, channel_id: str | None,
                  note: str | None = None) -> None:
        self._update(outbox_id, token, status="sent", sent_at=utc_naive(now), slack_ts=ts,
                     slack_channel_id=channel_id, in_doubt=False, claim_token=None, claimed_until=None,
                     **({"last_error": note} if note else {}))

    def mark_failed(self, outbox_id: int, token: str, error: str) -> None:
        self._update(outbox_id, token, status="failed", last_error=error[:500], in_doubt=False,
                     claim_token=None, claimed_until=None)

    def release(self, outbox_id: int, token: str) -> None:
        self._update(outbox_id, token, claim_token=None, claimed_until=None)

    def requeue_failed(self, ids: list[int] | None = None) -> int:
        """Operator action: put permanently failed rows back to pending (e.g. after inviting the bot)."""
        q = alert_outbox.update().where(alert_outbox.c.status == "failed")
        if ids is not None:
            q = q.where(alert_outbox.c.id.in_(ids))
        with self.transaction() as conn:
            return len(conn.execute(q.values(status="pending").returning(alert_outbox.c.id)).fetchall())

    def _update(self, outbox_id: int, token: str, **values: Any) -> None:
        c = alert_outbox.c
        with self.transaction() as conn:
            conn.execute(alert_outbox.update().where(c.id == outbox_id, c.claim_token == token).values(**values))

    def _rows(self, q: sa.Select, conn: sa.Connection | None) -> list[dict[str, Any]]:
        if conn is not None:
            return [dict(r) for r in conn.execute(q).mappings()]
        with self.engine.connect() as c:
            return [dict(r) for r in c.execute(q).mappings()]
