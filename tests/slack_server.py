"""A local Slack-compatible HTTP server for tests (Web API + incoming webhooks), scriptable per path.

    from tests.slack_server import slack_server   # pytest fixture (function-scoped)

    def test_x(slack_server):
        slack_server.script("/api/chat.postMessage", slack_server.rate_limited(1), slack_server.error(500))
        client = WebClient(token=slack_server.token, base_url=slack_server.api_base_url)
        ...
        assert [m.channel for m in slack_server.messages] == ["#alerts"]

What it does: ``POST /api/chat.postMessage`` (checks ``Authorization: Bearer <token>``, answers
``{"ok": true, "ts", "channel"}``), ``conversations.history`` (with message metadata), ``conversations.list``,
``auth.test``, and any ``/services/...`` path as an incoming webhook (answers ``ok``). Every request is
recorded (path, headers without Authorization, JSON/form body); successfully posted messages also go to
``messages``. Scripted responses (a queue per path) are consumed one per request before normal handling:
``rate_limited(retry_after)``, ``error(status)``, ``slow(seconds)`` (processes normally, answers late: a
client timeout after Slack accepted the post), ``drop()`` (closes the connection without answering).
``down()`` makes the server unreachable (connections refused) until ``up()``.
"""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time
import urllib.parse
from collections import defaultdict, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

DEFAULT_TOKEN = "xoxb-test-0000-local"


@dataclass
class Scripted:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False
    passthrough: bool = False  # handle normally (after ``delay``)


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    authorized: bool | None
    response_status: int | None = None


@dataclass
class PostedMessage:
    path: str
    channel: str
    channel_id: str
    ts: str
    body: dict[str, Any]

    @property
    def text(self) -> str:
        return str(self.body.get("text", ""))

    @property
    def metadata(self) -> dict[str, Any] | None:
        return self.body.get("metadata")


class SlackServer:
    def __init__(self, token: str = DEFAULT_TOKEN) -> None:
        self.token = token
        self.requests: list[RecordedRequest] = []
        self.messages: list[PostedMessage] = []
        self.channels: dict[str, str] = {}  # name (without #) -> id
        self._scripts: dict[str, deque[Scripted]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = self._free_port()

    # --- lifecycle ---------------------------------------------------------------------------------
    @staticmethod
    def _free_port() -> int:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    def start(self) -> "SlackServer":
        server = self

        class Handler(_Handler):
            owner = server

        ThreadingHTTPServer.allow_reuse_address = True
        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def down(self) -> None:
        """Unreachable: the listening socket is closed, so connections are refused."""
        self.stop()

    def up(self) -> None:
        if self._httpd is None:
            self.start()

    # --- addresses ---------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base_url(self) -> str:
        return f"{self.url}/api/"

    def webhook_url(self, name: str = "T000/B000/XXXXXXXX") -> str:
        return f"{self.url}/services/{name}"

    # --- scripting ---------------------------------------------------------------------------------
    def script(self, path: str, *responses: Scripted) -> None:
        with self._lock:
            self._scripts[path].extend(responses)

    @staticmethod
    def rate_limited(retry_after: float = 1) -> Scripted:
        return Scripted(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)})

    @staticmethod
    def error(status: int = 500, error: str = "internal_error") -> Scripted:
        return Scripted(status, {"ok": False, "error": error})

    @staticmethod
    def api_error(error: str) -> Scripted:
        """HTTP 200 with ``ok: false``, as Slack answers e.g. channel_not_found."""
        return Scripted(200, {"ok": False, "error": error})

    @staticmethod
    def slow(seconds: float) -> Scripted:
        return Scripted(delay=seconds, passthrough=True)

    @staticmethod
    def drop() -> Scripted:
        return Scripted(drop=True)

    # --- inspection --------------------------------------------------------------------------------
    def posts(self, path_prefix: str = "") -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == "POST" and r.path.startswith(path_prefix)]

    def channel_id(self, name: str) -> str:
        name = name.lstrip("#")
        with self._lock:
            if name not in self.channels:
                self.channels[name] = f"C{len(self.channels) + 1:08d}"
            return self.channels[name]

    def _next(self, path: str) -> Scripted | None:
        with self._lock:
            q = self._scripts.get(path)
            return q.popleft() if q else None

    def _record(self, req: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(req)

    def _new_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"


class _Handler(BaseHTTPRequestHandler):
    owner: SlackServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:  # noqa: N802
        self._handle("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._handle("POST")

    def _handle(self, method: str) -> None:
        srv = self.owner
        parsed = urllib.parse.urlsplit(self.path)
        path = parsed.path
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = _parse_body(raw, self.headers.get("Content-Type", ""))
        params = {k: v[-1] for k, v in urllib.parse.parse_qs(parsed.query).items()}
        if isinstance(body, dict):
            params.update({k: v for k, v in body.items() if k not in params})
        auth = self.headers.get("Authorization")
        headers = {k: v for k, v in self.headers.items() if k.lower() != "authorization"}
        authorized = None if path.startswith("/services/") else auth == f"Bearer {srv.token}"
        rec = RecordedRequest(method, path, headers, body, authorized)
        srv._record(rec)
        scripted = srv._next(path)
        if scripted is not None:
            # The delay comes after processing: like Slack posting the message and the answer arriving late.
            self._delay = scripted.delay
            if scripted.drop:
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
            if not scripted.passthrough:
                rec.response_status = scripted.status
                self._reply(scripted.status, scripted.body, scripted.headers)
                return
        if path.startswith("/services/"):
            srv.messages.append(PostedMessage(path, path[len("/services/"):], "", srv._new_ts(),
                                              body if isinstance(body, dict) else {"raw": body}))
            rec.response_status = 200
            self._reply(200, "ok", {"Content-Type": "text/html"})
            return
        if not path.startswith("/api/"):
            rec.response_status = 404
            self._reply(404, "not found", {"Content-Type": "text/plain"})
            return
        if not authorized:
            rec.response_status = 200
            self._reply(200, {"ok": False, "error": "not_authed" if not auth else "invalid_auth"})
            return
        api = path[len("/api/"):]
        status, payload = 200, self._api(api, params)
        rec.response_status = status
        self._reply(status, payload)

    def _api(self, api: str, params: dict[str, Any]) -> dict[str, Any]:
        srv = self.owner
        if api == "auth.test":
            return {"ok": True, "team": "local", "user": "infranaut", "bot_id": "B0LOCAL"}
        if api == "chat.postMessage":
            channel = str(params.get("channel") or "")
            if not channel:
                return {"ok": False, "error": "channel_not_found"}
            if not params.get("text") and not params.get("blocks"):
                return {"ok": False, "error": "no_text"}
            cid = channel if channel[:1] in "CGD" and not channel.startswith("#") else srv.channel_id(channel)
            ts = srv._new_ts()
            with srv._lock:
                srv.messages.append(PostedMessage("/api/chat.postMessage", channel, cid, ts, dict(params)))
            return {"ok": True, "channel": cid, "ts": ts, "message": {"text": params.get("text"), "ts": ts}}
        if api == "conversations.list":
            with srv._lock:
                chans = [{"id": i, "name": n, "is_member": True} for n, i in srv.channels.items()]
            return {"ok": True, "channels": chans, "response_metadata": {"next_cursor": ""}}
        if api == "conversations.history":
            cid = str(params.get("channel") or "")
            oldest = float(params.get("oldest") or 0)
            with_meta = str(params.get("include_all_metadata", "")).lower() in ("1", "true")
            with srv._lock:
                if cid not in srv.channels.values():
                    return {"ok": False, "error": "channel_not_found"}
                msgs = [m for m in srv.messages if m.channel_id == cid and float(m.ts) >= oldest]
            out = []
            for m in reversed(msgs):  # newest first, like Slack
                item = {"type": "message", "ts": m.ts, "text": m.text}
                if with_meta and m.metadata:
                    item["metadata"] = m.metadata
                out.append(item)
            return {"ok": True, "messages": out, "has_more": False, "response_metadata": {"next_cursor": ""}}
        return {"ok": False, "error": "unknown_method"}

    _delay: float = 0.0

    def _reply(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        if self._delay:
            time.sleep(self._delay)
            self._delay = 0.0
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        headers = dict(headers or {})
        self.send_response(status)
        self.send_header("Content-Type", headers.pop("Content-Type", "application/json; charset=utf-8"))
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _parse_body(raw: bytes, content_type: str) -> Any:
    if not raw:
        return {}
    text = raw.decode("utf-8", "replace")
    if "json" in content_type:
        try:
            return json.loads(text)
        except ValueError:
            return text
    if "x-www-form-urlencoded" in content_type:
        form = {k: v[-1] for k, v in urllib.parse.parse_qs(text).items()}
        for k in ("blocks", "metadata", "attachments"):
            if isinstance(form.get(k), str):
                try:
                    form[k] = json.loads(form[k])
                except ValueError:
                    pass
        return form
    return text


@pytest.fixture
def slack_server() -> Iterator[SlackServer]:
    """A running local Slack server (function-scoped: fresh recordings and scripts per test)."""
    server = SlackServer().start()
    try:
        yield server
    finally:
        server.stop()
