"""A local JSON webhook receiver for tests (127.0.0.1), scriptable, that checks HMAC signatures.

    from tests.webhook_server import webhook_server   # pytest fixture

    def test_x(webhook_server):
        webhook_server.script(webhook_server.error(500))
        ...
        assert webhook_server.deliveries[0].body["kind"] == "fire"

Every request is recorded (path, headers, raw and parsed body, whether its signature verified against
``secret``). Accepted requests (2xx) also go to ``deliveries``. Scripted responses (a queue) are consumed
one per request: ``error(status, body)``, ``rate_limited(retry_after)``, ``drop()`` (closes the connection
without answering). ``down()`` refuses connections until ``up()``. ``HttpRecorder`` is the shared base the
PagerDuty-compatible server builds on.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

WEBHOOK_SECRET = "whsec-local-test-0000"


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    raw: bytes
    body: Any
    signature_ok: bool | None = None
    status: int | None = None


class HttpRecorder:
    def __init__(self) -> None:
        self.requests: list[Received] = []
        self._scripts: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]

    # --- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> "HttpRecorder":
        owner = self

        class Handler(_Handler):
            server_owner = owner

        ThreadingHTTPServer.allow_reuse_address = True
        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    down = stop

    def up(self) -> None:
        if self._httpd is None:
            self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- scripting ---------------------------------------------------------------------------------
    def script(self, *replies: Reply) -> None:
        with self._lock:
            self._scripts.extend(replies)

    @staticmethod
    def error(status: int = 500, body: Any = None) -> Reply:
        return Reply(status, body if body is not None else {"message": "internal error"})

    @staticmethod
    def rate_limited(retry_after: float | None = 1) -> Reply:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        return Reply(429, {"message": "rate limited"}, headers)

    @staticmethod
    def drop() -> Reply:
        return Reply(drop=True)

    @property
    def deliveries(self) -> list[Received]:
        return [r for r in self.requests if r.status is not None and 200 <= r.status < 300]

    # --- behaviour (overridden by the PagerDuty server) ----------------------------------------------
    def handle(self, req: Received) -> tuple[int, Any]:
        return 200, {"ok": True}

    def _next(self) -> Reply | None:
        with self._lock:
            return self._scripts.popleft() if self._scripts else None


class WebhookServer(HttpRecorder):
    def __init__(self, secret: str = WEBHOOK_SECRET) -> None:
        super().__init__()
        self.secret = secret

    def handle(self, req: Received) -> tuple[int, Any]:
        stamp, sig = req.headers.get("X-Infranaut-Timestamp"), req.headers.get("X-Infranaut-Signature")
        if sig is not None:
            expected = "sha256=" + hmac.new(self.secret.encode(), f"{stamp}.".encode() + req.raw,
                                            hashlib.sha256).hexdigest()
            req.signature_ok = hmac.compare_digest(expected, sig)
            if not req.signature_ok:
                return 401, {"message": "bad signature"}
        return 200, {"ok": True}


class _Handler(BaseHTTPRequestHandler):
    server_owner: HttpRecorder
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802
        owner = self.server_owner
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body: Any = json.loads(raw.decode())
        except ValueError:
            body = raw.decode("utf-8", "replace")
        req = Received(self.path, dict(self.headers.items()), raw, body)
        with owner._lock:
            owner.requests.append(req)
        scripted = owner._next()
        if scripted is not None and scripted.drop:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if scripted is not None:
            status, answer, headers = scripted.status, scripted.body, scripted.headers
        else:
            (status, answer), headers = owner.handle(req), {}
        req.status = status
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def webhook_server() -> Iterator[WebhookServer]:
    server = WebhookServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
