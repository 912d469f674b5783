"""A real ``dagster-webserver`` for the browser test: started on a free local port, stopped with its children.

The webserver is the product users look at, so the test talks to it over HTTP (GraphQL) exactly like the UI
does, instead of calling dagster-graphql in process.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
MODULE = "infranaut_pipelines.definitions"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _bin(name: str) -> str:
    """The executable next to the running interpreter (the project's venv), not whatever is on PATH."""
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else str(REPO_ROOT / ".venv" / "bin" / name)


def stop_process_group(proc: subprocess.Popen[Any], timeout: float = 15.0) -> None:
    """SIGTERM the process group (the webserver spawns a gRPC code server), SIGKILL what is left."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
    # Children may outlive the leader (code server); the group id is still the leader's pid.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


@dataclass
class Webserver:
    url: str
    log_path: Path

    def graphql(self, query: str, variables: Mapping[str, Any] | None = None, timeout: float = 120.0) -> dict[str, Any]:
        body = json.dumps({"query": query, "variables": dict(variables or {})}).encode()
        req = urllib.request.Request(
            f"{self.url}/graphql", data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            payload = json.loads(resp.read())
        if payload.get("errors"):
            raise AssertionError(f"GraphQL errors: {json.dumps(payload['errors'])[:2000]}")
        return payload["data"]

    def log_tail(self, n: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return ""


LOCATION_STATUS = """
query { locationStatusesOrError { __typename
  ... on WorkspaceLocationStatusEntries { entries { name loadStatus } } } }
"""
LOCATION_ERRORS = """
query { workspaceOrError { ... on Workspace { locationEntries { name
  locationOrLoadError { __typename ... on PythonError { message } } } } } }
"""


def _wait_ready(server: Webserver, proc: subprocess.Popen[Any], timeout: float) -> None:
    """Ready means the HTTP server answers AND the code location has loaded (it loads asynchronously)."""
    deadline = time.monotonic() + timeout
    last = "no answer yet"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"dagster-webserver exited with {proc.returncode}:\n{server.log_tail()}")
        try:
            entries = server.graphql(LOCATION_STATUS, timeout=5)["locationStatusesOrError"]["entries"]
            statuses = {e["name"]: e["loadStatus"] for e in entries}
            last = str(statuses)
            if statuses and all(s == "LOADED" for s in statuses.values()):
                errors = server.graphql(LOCATION_ERRORS, timeout=30)["workspaceOrError"]["locationEntries"]
                broken = [e for e in errors if (e["locationOrLoadError"] or {}).get("__typename") == "PythonError"]
                if broken:
                    raise RuntimeError(f"code location failed to load: {broken}")
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
            last = repr(exc)
        time.sleep(0.5)
    raise TimeoutError(f"dagster-webserver not ready after {timeout:.0f} s ({last}):\n{server.log_tail()}")


@contextmanager
def run_webserver(
    dagster_home: Path, env: Mapping[str, str], log_path: Path, ready_timeout: float = 180.0
) -> Iterator[Webserver]:
    """Serve ``infranaut_pipelines.definitions`` against the instance in ``dagster_home``."""
    port = free_port()
    full_env = {**os.environ, **env, "DAGSTER_HOME": str(dagster_home), "DAGSTER_DISABLE_TELEMETRY": "yes"}
    log_path.parent.mkdir(parents=True, exist_ok=True)
    cmd = [_bin("dagster-webserver"), "-h", "127.0.0.1", "-p", str(port), "-m", MODULE, "--working-directory", str(REPO_ROOT)]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            cmd, cwd=REPO_ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        server = Webserver(url=f"http://127.0.0.1:{port}", log_path=log_path)
        try:
            _wait_ready(server, proc, ready_timeout)
            yield server
        finally:
            stop_process_group(proc)
