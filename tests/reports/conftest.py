"""Fixtures of the report tests: moto's S3 server (real HTTP) and a local report server on a free port."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from infranaut_pipelines.reports.server import serve_in_background
from tests.s3_server import s3_bucket, s3_server  # noqa: F401  (fixtures)

from .fabricate import Fabricated, fabricate


@pytest.fixture(scope="session")
def fab(tmp_path_factory: pytest.TempPathFactory) -> Fabricated:
    """Read-only for the tests: the trend asset test writes only new files beside the reports."""
    return fabricate(tmp_path_factory.mktemp("fabricated"))


@pytest.fixture(scope="module")
def reports_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("reports-lake") / "lake" / "reports"
    root.mkdir(parents=True)
    return root


@contextlib.contextmanager
def running_report_server(root: Path) -> Iterator[str]:
    """``infranaut reports serve``'s server over ``root`` on a free port of 127.0.0.1, its base URL."""
    server, thread = serve_in_background(root)
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture(scope="module")
def report_server(reports_root: Path) -> Iterator[str]:
    # One server per module: shutting one down waits for its 0.5 s poll.
    with running_report_server(reports_root) as url:
        yield url
