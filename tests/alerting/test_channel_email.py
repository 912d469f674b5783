"""Alert mail through the outbox, against a local SMTP server that requires STARTTLS and a login."""

from __future__ import annotations

import json

from infranaut_pipelines.alerting import deliver_pending, evaluate_and_record
from infranaut_pipelines.notify.email import EmailSender
from tests.alerting.own_channels import FakeSleep, own_rules, own_signals
from tests.smtp_server import SmtpServer, smtp_cert, smtp_server  # noqa: F401 - fixtures
from tests.webhook_server import webhook_server  # noqa: F401 - fixture

MARKUP = '<script>alert("x")</script> & <!channel>'


def _sender(server: SmtpServer, **kw) -> dict[str, EmailSender]:
    options = dict(user=server.user, password=server.password, ca_file=server.ca_file, timeout=5)
    options.update(kw)
    return {"email": EmailSender("127.0.0.1", server.port, "infranaut@acme.test", **options)}


def _bad_check(day: int = 5):
    # A failed data check whose name and description carry markup: data, to be shown, never interpreted.
    return own_signals(day, failed_checks=[{"name": f"plan {MARKUP}", "severity": "ERROR",
                                            "description": f"unexpected plan values {MARKUP}"}])


def _mail_rows(store):
    return [r for r in store.outbox() if r["channel"].startswith("email")]


def test_mail_over_starttls_is_multipart_plain_and_html_with_data_escaped(duckdb_store, smtp_server):
    evaluate_and_record(duckdb_store, own_rules(), _bad_check())
    summary = deliver_pending(duckdb_store, _sender(smtp_server), sleep=FakeSleep())

    (row,) = _mail_rows(duckdb_store)
    assert summary.sent == [row["id"]] and row["status"] == "sent"
    (got,) = smtp_server.received
    assert got.tls and got.login == smtp_server.user  # STARTTLS first, then the login
    assert got.rcpt_tos == ["growth-ml@acme.test"] and got.mail_from == "infranaut@acme.test"
    mail = got.message
    assert mail["X-Infranaut-Delivery"] == str(row["id"]) and mail["Subject"].startswith("[WARNING] subscription_churn")
    plain = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert MARKUP in plain  # plain text shows the value as it is
    assert "<script>" not in html and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;!channel&gt;" in html
    assert '<a href="https://dagster.example.com/runs/r1?tab=logs&amp;x=1">Dagster run</a>' in html
    assert smtp_server.password not in json.dumps(duckdb_store.outbox(), default=str)


def test_a_4xx_reply_is_retried_and_the_mail_arrives_once(duckdb_store, smtp_server):
    evaluate_and_record(duckdb_store, own_rules(), _bad_check())
    smtp_server.script("451 4.3.0 Try again later")
    sleep = FakeSleep()
    summary = deliver_pending(duckdb_store, _sender(smtp_server), sleep=sleep)
    (row,) = _mail_rows(duckdb_store)
    assert summary.sent == [row["id"]] and row["attempts"] == 2 and sleep.calls == [1.0]
    assert len(smtp_server.received) == 1


def test_a_5xx_reply_or_a_wrong_password_fails_the_row_with_the_reason(duckdb_store, smtp_server):
    evaluate_and_record(duckdb_store, own_rules(), _bad_check())
    deliver_pending(duckdb_store, _sender(smtp_server, password="not-the-password"), sleep=FakeSleep())
    (row,) = _mail_rows(duckdb_store)
    assert row["status"] == "failed" and "authentication failed 535" in row["last_error"]
    assert "not-the-password" not in row["last_error"]

    duckdb_store.requeue_failed()
    smtp_server.script("550 5.7.1 Message rejected")
    deliver_pending(duckdb_store, _sender(smtp_server), sleep=FakeSleep())
    row = _mail_rows(duckdb_store)[0]
    assert row["status"] == "failed" and "550" in row["last_error"] and "Message rejected" in row["last_error"]
    assert smtp_server.received == []


def test_an_untrusted_certificate_is_refused_before_anything_is_sent(duckdb_store, smtp_server):
    evaluate_and_record(duckdb_store, own_rules(), _bad_check())
    deliver_pending(duckdb_store, _sender(smtp_server, ca_file=None), sleep=FakeSleep())  # system CAs only
    row = _mail_rows(duckdb_store)[0]
    assert row["status"] == "failed" and "not trusted" in row["last_error"]
    assert smtp_server.received == [] and smtp_server.auth_failures == 0


def test_unreachable_smtp_is_retried_then_left_pending_and_other_channels_still_go_out(duckdb_store, smtp_server,
                                                                                       webhook_server):
    from infranaut_pipelines.notify.webhook import WebhookSender

    evaluate_and_record(duckdb_store, own_rules(), _bad_check())
    smtp_server.down()
    senders = {**_sender(smtp_server), "webhook": WebhookSender(webhook_server.url + "/hook", timeout=5)}
    summary = deliver_pending(duckdb_store, senders, sleep=FakeSleep(), max_attempts_per_run=2)
    assert not summary.complete  # the mail is still owed
    (row,) = _mail_rows(duckdb_store)
    assert row["status"] == "pending" and row["attempts"] == 2 and "SMTP server unreachable" in row["last_error"]
    assert len(webhook_server.deliveries) == 1  # the mail outage does not hold back the webhook

    smtp_server.up()
    again = deliver_pending(duckdb_store, senders, sleep=FakeSleep())
    assert again.sent == [row["id"]] and len(smtp_server.received) == 1 and len(webhook_server.deliveries) == 1
