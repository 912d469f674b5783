"""Alert mail over SMTP with STARTTLS (standard library only): one multipart message, plain text + HTML.

STARTTLS is required, with the server's certificate verified (the system's CA store, or
``INFRANAUT_SMTP_CA_FILE``): a server that does not offer it gets nothing, because the mail and the login
would travel in clear. Every SMTP failure is classified for deliver_pending: 5xx replies and TLS trust
problems are permanent (a human must act), 4xx replies and unreachable servers are retried, a connection
lost after DATA is "in doubt" (the server may have queued the mail; re-sending keeps the same Message-ID,
so mail clients can fold a duplicate).

The password is never part of a message, a log line or the outbox.
"""

from __future__ import annotations

import datetime as dt
import smtplib
import socket
import ssl
import uuid
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from infranaut_pipelines.notify.plain import Document, to_html, to_text
from infranaut_pipelines.notify.slack import DeliveryError, SendResult
from infranaut_pipelines.notify.targets import _ADDRESS, parse_target

_SUBJECT_MAX = 200


def render_email(doc: Document) -> dict[str, Any]:
    """The outbox payload of one mail: rendered once, so every retry sends the same message."""
    subject = " ".join(doc.title.split())[:_SUBJECT_MAX]  # no CR/LF: a header cannot be split by data
    return {"subject": subject, "text": to_text(doc), "html": to_html(doc),
            "message_id": f"<infranaut-alert-{uuid.uuid4().hex}@infranaut.invalid>"}


def parse_addresses(raw: str) -> tuple[str, ...]:
    addresses = tuple(a.strip() for a in raw.split(",") if a.strip())
    bad = [a for a in addresses if not _ADDRESS.fullmatch(a)]
    if bad:
        raise ValueError(f"not an email address: {bad}")
    return addresses


class EmailSender:
    supports_lookup = False

    def __init__(self, host: str, port: int, from_addr: str, default_to: Sequence[str] = (), *,
                 user: str | None = None, password: str | None = None, ca_file: str | None = None,
                 timeout: float = 15.0) -> None:
        if not host or any(c.isspace() for c in host):
            raise ValueError("SMTP host is missing or malformed (INFRANAUT_SMTP_HOST)")
        if not (0 < int(port) < 65536):
            raise ValueError("SMTP port must be 1-65535 (INFRANAUT_SMTP_PORT)")
        if not from_addr or not _ADDRESS.fullmatch(from_addr):
            raise ValueError("alert mail sender address is missing or malformed (INFRANAUT_ALERT_EMAIL_FROM)")
        if password and not user:
            raise ValueError("INFRANAUT_SMTP_PASSWORD is set but INFRANAUT_SMTP_USER is not")
        self.host, self.port, self.from_addr = host, int(port), from_addr
        self.default_to = tuple(default_to)
        self.user, self._password, self.ca_file, self.timeout = user or None, password or None, ca_file, timeout

    def __repr__(self) -> str:  # never the password
        return f"EmailSender(host={self.host!r}, port={self.port})"

    def send(self, channel: str, payload: Mapping[str, Any], key: str) -> SendResult:
        to = parse_target(channel).addresses or self.default_to
        if not to:
            raise DeliveryError("no recipients: set INFRANAUT_ALERT_EMAIL_TO or route to email:<address>",
                                permanent=True)
        msg = EmailMessage()
        msg["Subject"] = str(payload.get("subject") or "Infranaut alert")
        msg["From"] = self.from_addr
        msg["To"] = ", ".join(to)
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = str(payload.get("message_id") or f"<infranaut-alert-{key}@infranaut.invalid>")
        msg["X-Infranaut-Delivery"] = str(key)
        msg.set_content(str(payload.get("text") or ""))
        msg.add_alternative(str(payload.get("html") or ""), subtype="html")
        try:
            self._deliver(msg)
        except DeliveryError:
            raise
        except smtplib.SMTPResponseException as exc:
            raise self._reply_error(exc) from None
        except smtplib.SMTPRecipientsRefused as exc:
            codes = sorted({code for code, _ in exc.recipients.values()})
            raise DeliveryError(f"SMTP server refused the recipients {sorted(exc.recipients)} ({codes})",
                                permanent=all(c >= 500 for c in codes)) from None
        except smtplib.SMTPNotSupportedError:
            raise DeliveryError("SMTP server does not support a required extension (AUTH)", permanent=True) from None
        except ssl.SSLCertVerificationError:
            raise DeliveryError("SMTP server's TLS certificate is not trusted (set INFRANAUT_SMTP_CA_FILE to its "
                                "CA bundle)", permanent=True) from None
        except smtplib.SMTPServerDisconnected:
            raise DeliveryError("SMTP connection lost", ambiguous=True) from None
        except (ConnectionRefusedError, socket.gaierror) as exc:
            raise DeliveryError(f"SMTP server unreachable ({type(exc).__name__})") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"SMTP request failed ({type(exc).__name__})", ambiguous=True) from None
        return SendResult(None, None)

    def _deliver(self, msg: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            smtp.ehlo()
            if not smtp.has_extn("starttls"):
                raise DeliveryError("SMTP server does not offer STARTTLS: not sending the alert in clear",
                                    permanent=True)
            smtp.starttls(context=ssl.create_default_context(cafile=self.ca_file or None))
            smtp.ehlo()
            if self.user:
                smtp.login(self.user, self._password or "")
            smtp.send_message(msg)

    def _reply_error(self, exc: smtplib.SMTPResponseException) -> DeliveryError:
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        if self._password:
            text = text.replace(self._password, "***")
        what = "authentication failed" if isinstance(exc, smtplib.SMTPAuthenticationError) else "replied"
        # 4xx: try again later (greylisting, full queue); 5xx: the server will never take it as is.
        return DeliveryError(f"SMTP {what} {exc.smtp_code}: {text[:200]}", status=exc.smtp_code,
                             permanent=exc.smtp_code >= 500)

    def find_delivered(self, channel: str, key: str, since: dt.datetime) -> SendResult | None:
        return None
