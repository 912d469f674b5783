"""`infranaut reports serve`: the reports folder over HTTP, and never a byte from outside it."""

from __future__ import annotations

import http.client
import os
import urllib.parse
from pathlib import Path

import pytest


def _get(base: str, raw_path: str, method: str = "GET") -> tuple[int, bytes, dict[str, str]]:
    """Send ``raw_path`` exactly as given (urllib would normalise ``..`` away before it leaves)."""
    parts = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.putrequest(method, raw_path, skip_host=False, skip_accept_encoding=True)
        conn.endheaders()
        resp = conn.getresponse()
        return resp.status, resp.read(), {k.lower(): v for k, v in resp.getheaders()}
    finally:
        conn.close()


@pytest.fixture(scope="module")
def lake(reports_root: Path) -> Path:
    day = reports_root / "churn<x>" / "2026-11-20"
    day.mkdir(parents=True)
    (day / "drift_report.html").write_text("<!doctype html><title>churn report</title>ok")
    (day / "drift_report.json").write_text('{"ok": true}')
    (day / ".hidden").write_text("not served")
    secret = reports_root.parent.parent / "outside-secret.txt"
    secret.write_text("TOP SECRET outside the reports folder")
    (reports_root.parent / "baselines.json").write_text("lake file beside reports/")
    os.symlink(secret, day / "link-out.html")
    os.symlink(reports_root.parent, reports_root / "lake-link")
    (day / "link-in.html").symlink_to(day / "drift_report.html")
    return reports_root


def test_serves_reports_with_their_type(lake: Path, report_server: str) -> None:
    status, body, headers = _get(report_server, "/churn%3Cx%3E/2026-11-20/drift_report.html")
    assert status == 200 and b"churn report" in body
    assert headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in headers["content-security-policy"]  # an injected script could not run
    status, body, headers = _get(report_server, "/churn%3Cx%3E/2026-11-20/drift_report.json")
    assert (status, headers["content-type"]) == (200, "application/json")
    status, body, _ = _get(report_server, "/churn%3Cx%3E/2026-11-20/link-in.html")  # a link inside: fine
    assert status == 200 and b"churn report" in body
    status, body, _ = _get(report_server, "/churn%3Cx%3E/2026-11-20/drift_report.html", method="HEAD")
    assert status == 200 and body == b""


def test_index_lists_models_escaped_and_hides_what_it_would_not_serve(lake: Path, report_server: str) -> None:
    status, body, _ = _get(report_server, "/")
    assert status == 200
    assert b"churn&lt;x&gt;/" in body and b"<x>" not in body
    assert b"lake-link" not in body  # leads out of the folder
    status, body, _ = _get(report_server, "/churn%3Cx%3E/2026-11-20/")
    assert b"drift_report.html" in body and b".hidden" not in body and b"link-out" not in body
    status, _, headers = _get(report_server, "/churn%3Cx%3E")
    assert status == 301 and headers["location"].endswith("/")


@pytest.mark.parametrize("raw_path", [
    "/../outside-secret.txt",
    "/../../outside-secret.txt",
    "/../baselines.json",
    "/%2e%2e/baselines.json",
    "/%2E%2E%2Fbaselines.json",
    "/..%2f..%2foutside-secret.txt",
    "/%252e%252e/baselines.json",  # double-encoded: decoded once, a literal (missing) name
    "/..%5cbaselines.json",
    "/churn%3Cx%3E/2026-11-20/..%5c..%5c..%5cbaselines.json",
    "//etc/passwd",
    "/%2fetc%2fpasswd",
    "/C:/Windows/win.ini",
    "/churn%3Cx%3E/2026-11-20/link-out.html",  # symlink to a file outside
    "/lake-link/baselines.json",  # symlinked folder leading out
    "/churn%3Cx%3E/2026-11-20/.hidden",
    "/churn%3Cx%3E/2026-11-20/missing.html",
    "/churn%3Cx%3E/2026-11-20/drift_report.html%00.txt",
    "/%ff%fe",
    "http://127.0.0.1/../baselines.json",
])
def test_traversal_and_missing_files_are_404(lake: Path, report_server: str, raw_path: str) -> None:
    status, body, _ = _get(report_server, raw_path)
    assert status == 404, (raw_path, status)
    assert b"SECRET" not in body and b"beside reports" not in body


def test_read_only(lake: Path, report_server: str) -> None:
    for method in ("PUT", "POST", "DELETE"):
        status, _, _ = _get(report_server, "/churn%3Cx%3E/2026-11-20/drift_report.html", method=method)
        assert status == 405, method
    assert (lake / "churn<x>" / "2026-11-20" / "drift_report.html").read_text().endswith("ok")


def test_binds_loopback_only(reports_root: Path) -> None:
    from infranaut_pipelines.reports.server import make_server

    server = make_server(reports_root, 0, quiet=True)
    try:
        assert server.server_address[0] == "127.0.0.1"
    finally:
        server.server_close()


def test_the_command_serves_the_local_lake(tmp_path: Path) -> None:
    import socket
    import subprocess
    import sys

    report = tmp_path / "lake" / "reports" / "m" / "2026-11-20" / "drift_report.html"
    report.parent.mkdir(parents=True)
    report.write_text("<!doctype html>served by the command")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "INFRANAUT_DATA_DIR": str(tmp_path), "INFRANAUT_REPORTS_PORT": str(port)}
    env.pop("INFRANAUT_LAKE_URL", None)
    cmd = [sys.executable, "-m", "infranaut_pipelines.cli", "reports", "serve"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        first_line = proc.stdout.readline()  # printed once listening
        assert f"http://127.0.0.1:{port}/" in first_line, first_line
        status, body, _ = _get(f"http://127.0.0.1:{port}", "/m/2026-11-20/drift_report.html")
        assert (status, body) == (200, report.read_bytes())
        assert _get(f"http://127.0.0.1:{port}", "/../reports/m/2026-11-20/drift_report.html")[0] == 404
    finally:
        proc.terminate()
        proc.wait(10)

def test_the_command_refuses_an_s3_lake(capsys: pytest.CaptureFixture[str]) -> None:
    from infranaut_pipelines.commands.reports import main
    from tests.support.env import temporary_env

    with temporary_env({"INFRANAUT_LAKE_URL": "s3://bucket/lake"}):
        assert main(["serve"]) == 2
    assert "presigned" in capsys.readouterr().err
