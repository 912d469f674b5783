"""A local SMTP server for tests (aiosmtpd on 127.0.0.1) that requires STARTTLS and a login.

    from tests.smtp_server import smtp_server   # pytest fixture

    def test_x(smtp_server):
        sender = EmailSender("127.0.0.1", smtp_server.port, "alerts@acme.test", user=smtp_server.user,
                             password=smtp_server.password, ca_file=smtp_server.ca_file)
        ...
        mail = smtp_server.messages[0]          # email.message.EmailMessage, as received

The TLS certificate is self-signed, generated per test session for 127.0.0.1 (``ca_file`` is it), so the
client verifies it for real. Before STARTTLS the server refuses MAIL and AUTH (``require_starttls``), and
it refuses mail without a login (``auth_required``). ``script("451 4.3.0 try later", ...)`` answers the
next DATA commands with those replies instead of accepting; ``down()`` refuses connections until ``up()``.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import os
import socket
import ssl
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest

try:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword
except ImportError:  # pragma: no cover - a laptop without the dev extras
    Controller = None  # type: ignore[assignment,misc]

USER, PASSWORD = "infranaut", "smtp-pass-local-0000"


def self_signed_cert(folder: Path) -> tuple[Path, Path]:
    """(cert, key) for 127.0.0.1 / localhost, valid for a day."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                        x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    tls: bool
    login: str | None


class _Handler:
    def __init__(self, owner: "SmtpServer") -> None:
        self.owner = owner

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        with self.owner._lock:
            if self.owner._scripts:
                return self.owner._scripts.popleft()
            msg = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
            login = session.auth_data.decode() if isinstance(session.auth_data, bytes) else session.auth_data
            self.owner.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), msg,
                                                session.ssl is not None, login))
        return "250 2.0.0 OK queued"


class SmtpServer:
    def __init__(self, cert: Path, key: Path, user: str = USER, password: str = PASSWORD) -> None:
        self.ca_file, self.user, self.password = str(cert), user, password
        self.received: list[Received] = []
        self.auth_failures = 0
        self._scripts: deque[str] = deque()
        self._lock = threading.Lock()
        self._tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._tls.load_cert_chain(cert, key)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self._controller: Controller | None = None

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == self.user \
            and auth_data.password.decode() == self.password
        if not ok:
            self.auth_failures += 1
        return AuthResult(success=ok, handled=False, auth_data=auth_data.login if ok else None)

    def start(self) -> "SmtpServer":
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, tls_context=self._tls,
                                      require_starttls=True, auth_required=True, authenticator=self._authenticate,
                                      server_hostname="127.0.0.1", ready_timeout=5.0)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    down = stop

    def up(self) -> None:
        if self._controller is None:
            self.start()

    def script(self, *replies: str) -> None:
        with self._lock:
            self._scripts.extend(replies)

    @property
    def messages(self) -> list[EmailMessage]:
        return [r.message for r in self.received]


@pytest.fixture(scope="session")
def smtp_cert(tmp_path_factory) -> tuple[Path, Path]:
    if Controller is None:
        msg = "aiosmtpd is not installed (pip install -e '.[dev]')"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{msg} (CI=true: the local SMTP server is required in CI)")
        pytest.skip(msg)
    return self_signed_cert(tmp_path_factory.mktemp("smtp-tls"))


@pytest.fixture
def smtp_server(smtp_cert) -> Iterator[SmtpServer]:
    server = SmtpServer(*smtp_cert).start()
    try:
        yield server
    finally:
        server.stop()
