"""A read-only HTTP server for the ``reports/`` folder of a local lake (``infranaut reports serve``).

Browsers refuse ``file://`` links from a web page, so the UI's and Slack's report links on a local lake
point here. Only GET and HEAD; only files under the folder: ``..``, absolute paths, encoded traversal,
backslashes, NULs, hidden files, symlinks leading out and missing files all answer 404, never a byte from
outside. The URL is decoded exactly once, so a double-encoded ``%252e%252e`` is a literal (missing) name.
Standard library only; binds 127.0.0.1.
"""

from __future__ import annotations

import html
import mimetypes
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from infranaut_pipelines.storage.object_store import UnsafeKeyError, safe_key

HOST = "127.0.0.1"
# Reports carry no script; this also keeps an injected one inert should a value ever slip through.
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
_TYPES = {".html": "text/html; charset=utf-8", ".json": "application/json", ".csv": "text/csv; charset=utf-8",
          ".pdf": "application/pdf"}


def resolve(root: Path, raw_path: str) -> Path | None:
    """The file or folder under ``root`` a request path names, or None (answered 404)."""
    path = unquote(urlsplit(raw_path).path, errors="strict")
    if not path.startswith("/") or path.startswith("//"):
        return None
    rel = path[1:]
    if rel in ("", "/"):
        return root
    try:
        key = safe_key(rel.rstrip("/"))
    except UnsafeKeyError:
        return None
    if any(part.startswith(".") for part in key.split("/")):
        return None
    try:
        target = (root / key).resolve(strict=True)
    except (OSError, RuntimeError):  # missing, or a loop of links
        return None
    if target != root and root not in target.parents:  # a symlink leading out
        return None
    return target if (target.is_file() or target.is_dir()) else None


def _index(root: Path, folder: Path) -> bytes:
    """A plain listing of a folder (models, then days, then files), names escaped."""
    rel = folder.relative_to(root).as_posix()
    title = "reports/" + ("" if rel == "." else rel + "/")
    items = []
    for child in sorted(folder.iterdir(), key=lambda p: p.name):
        if child.name.startswith(".") or resolve(root, "/" + quote(child.relative_to(root).as_posix())) is None:
            continue
        name = child.name + ("/" if child.is_dir() else "")
        items.append(f'<li><a href="{html.escape(quote(name))}">{html.escape(name)}</a></li>')
    body = (f"<!doctype html><html lang=en><meta charset=utf-8><title>{html.escape(title)}</title>"
            f"<h1>{html.escape(title)}</h1><ul>{''.join(items) or '<li>empty</li>'}</ul></html>")
    return body.encode("utf-8")


class ReportHandler(BaseHTTPRequestHandler):
    root: Path  # set on the subclass built by make_server
    server_version = "infranaut-reports"
    sys_version = ""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._answer(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(send_body=False)

    def _refuse(self) -> None:
        self.send_error(HTTPStatus.METHOD_NOT_ALLOWED, "read-only")

    do_POST = do_PUT = do_DELETE = do_PATCH = _refuse  # noqa: N815

    def _answer(self, send_body: bool) -> None:
        try:
            target = resolve(self.root, self.path)
        except UnicodeDecodeError:
            target = None
        if target is None:
            self.send_error(HTTPStatus.NOT_FOUND, "no such report")
            return
        if target.is_dir():
            if not urlsplit(self.path).path.endswith("/"):
                self.send_response(HTTPStatus.MOVED_PERMANENTLY)
                self.send_header("Location", urlsplit(self.path).path + "/")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            data, ctype = _index(self.root, target), "text/html; charset=utf-8"
        else:
            try:
                data = target.read_bytes()
            except OSError:
                self.send_error(HTTPStatus.NOT_FOUND, "no such report")
                return
            ctype = _TYPES.get(target.suffix) or mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Security-Policy", _CSP)
        self.end_headers()
        if send_body:
            self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - signature of http.server
        if getattr(self.server, "quiet", False):
            return
        super().log_message(format, *args)


def make_server(root: Path, port: int, quiet: bool = False) -> ThreadingHTTPServer:
    """A server for ``root`` on 127.0.0.1:``port`` (0 = any free port); call ``serve_forever()`` on it."""
    handler = type("BoundReportHandler", (ReportHandler,), {"root": Path(root).resolve()})
    server = ThreadingHTTPServer((HOST, port), handler)
    server.quiet = quiet  # type: ignore[attr-defined]
    server.daemon_threads = True
    return server


def serve_in_background(root: Path, port: int = 0) -> tuple[ThreadingHTTPServer, threading.Thread]:
    """Start a quiet server on a thread (tests, scripts); stop it with ``server.shutdown()``."""
    server = make_server(root, port, quiet=True)
    thread = threading.Thread(target=server.serve_forever, name="infranaut-reports", daemon=True)
    thread.start()
    return server, thread
