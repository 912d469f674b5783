"""Headless Chromium driven through chromedriver's W3C WebDriver HTTP API, with nothing but ``urllib``.

WebDriver (rather than ``chromium --screenshot``) because the Dagster UI is a single-page app that renders
after several GraphQL round trips: the test polls for the text it expects and only then takes the screenshot,
instead of guessing a fixed time budget.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from .webserver import free_port, stop_process_group

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
APT_PACKAGES = ["chromium", "chromium-driver"]
# The flags issue 9 asks for; the rest keep the window size fixed and the browser quiet and offline-friendly.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--window-size=1600,1000",
]


def _installed() -> bool:
    return Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()


def require_chromium() -> tuple[str, str]:
    """Chromium and chromedriver paths; installs the Debian packages in CI (as root), else skips with the reason."""
    if _installed():
        return CHROMIUM, CHROMEDRIVER
    hint = f"install them with `sudo apt-get install -y {' '.join(APT_PACKAGES)}`"
    if not IN_CI:
        pytest.skip(f"{CHROMIUM} / {CHROMEDRIVER} not found; {hint} to run the browser test")
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.fail(f"CI=true but Chromium is missing and cannot be installed here (needs root and apt-get); {hint}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", *APT_PACKAGES]
    done = subprocess.run(install, env=env, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:  # stale package lists on a fresh CI image
        subprocess.run(["apt-get", "update"], env=env, capture_output=True, text=True, timeout=600)
        done = subprocess.run(install, env=env, capture_output=True, text=True, timeout=900)
    if done.returncode != 0 or not _installed():
        pytest.fail(f"CI=true and `{' '.join(install)}` failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return CHROMIUM, CHROMEDRIVER


class Browser:
    """One WebDriver session; only the handful of commands the test needs."""

    def __init__(self, base: str, session_id: str) -> None:
        self._base = f"{base}/session/{session_id}"

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None, timeout: float = 120.0) -> Any:
        return _request(method, f"{self._base}{path}", body, timeout)

    def get(self, url: str) -> None:
        self._call("POST", "/url", {"url": url})

    def js(self, script: str, *args: Any) -> Any:
        return self._call("POST", "/execute/sync", {"script": script, "args": list(args)})

    def text(self) -> str:
        return str(self.js("return document.body ? document.body.innerText : '';"))

    def wait_for_text(self, needles: list[str], timeout: float = 90.0) -> str:
        """Poll the page's visible text until every needle is there (the SPA renders asynchronously)."""
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = self.text()
            if all(n in text for n in needles):
                return text
            time.sleep(0.5)
        missing = [n for n in needles if n not in text]
        raise AssertionError(f"page never showed {missing} within {timeout:.0f} s; visible text:\n{text[:3000]}")

    def set_window_size(self, width: int, height: int) -> None:
        self._call("POST", "/window/rect", {"width": width, "height": height})

    def screenshot(self, path: Path) -> Path:
        png = base64.b64decode(self._call("GET", "/screenshot"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(png)
        return path


def _request(method: str, url: str, body: dict[str, Any] | None = None, timeout: float = 120.0) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return json.loads(resp.read() or b"{}").get("value")
    except urllib.error.HTTPError as exc:
        raise RuntimeError(f"WebDriver {method} {url} -> {exc.code}: {exc.read()[:2000]!r}") from None


def _wait_driver(base: str, proc: subprocess.Popen[Any], log_path: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"chromedriver exited with {proc.returncode}: {log_path.read_text(errors='replace')[-2000:]}")
        try:
            if _request("GET", f"{base}/status", timeout=2).get("ready"):
                return
        except (urllib.error.URLError, ConnectionError, OSError, RuntimeError):
            pass
        time.sleep(0.2)
    raise TimeoutError(f"chromedriver not ready after {timeout:.0f} s")


@contextmanager
def headless_chromium(log_dir: Path) -> Iterator[Browser]:
    """chromedriver + one fresh-profile headless Chromium; both stopped on exit, whatever happened."""
    chromium, chromedriver = require_chromium()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / "chromedriver.log"
    with tempfile.TemporaryDirectory(prefix="infranaut-chromium-") as profile, open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [chromedriver, f"--port={port}", "--allowed-ips=127.0.0.1"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        session_id = None
        try:
            _wait_driver(base, proc, log_path)
            caps = {
                "capabilities": {
                    "alwaysMatch": {
                        "browserName": "chrome",
                        "goog:chromeOptions": {"binary": chromium, "args": [*CHROMIUM_ARGS, f"--user-data-dir={profile}"]},
                    }
                }
            }
            session_id = _request("POST", f"{base}/session", caps, timeout=60)["sessionId"]
            yield Browser(base, session_id)
        finally:
            if session_id is not None:
                try:
                    _request("DELETE", f"{base}/session/{session_id}", timeout=30)
                except (urllib.error.URLError, OSError, RuntimeError):
                    pass
            stop_process_group(proc)
