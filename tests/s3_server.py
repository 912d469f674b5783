"""A local S3 (moto's server, real HTTP) for tests and benchmarks.

    from tests.s3_server import s3_server, s3_bucket   # pytest fixtures

    def test_x(s3_bucket):                  # a fresh, empty bucket per test
        store = S3Store(s3_bucket.name, "landing", s3_bucket.client)

``s3_server`` (session-scoped) starts ``moto.server.ThreadedMotoServer`` on 127.0.0.1 on a free port
and, for the session, points boto3 at it: ``AWS_ENDPOINT_URL``, dummy credentials and
``AWS_DEFAULT_REGION=us-east-1``, so code that builds its own client (``open_store("s3://...")``, dagster-aws's
``S3Resource``) reaches moto without special configuration. ``start_s3_server()`` does the same outside
pytest (used by benchmarks/ingest_throughput.py).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support.env import temporary_env

S3_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str

    def client(self) -> Any:
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint_url, region_name="us-east-1")

    def create_bucket(self, name: str | None = None) -> "S3Bucket":
        client = self.client()
        name = name or f"test-{uuid.uuid4().hex[:12]}"
        client.create_bucket(Bucket=name)
        return S3Bucket(name=name, client=client, server=self)


@dataclass(frozen=True)
class S3Bucket:
    name: str
    client: Any
    server: S3Server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def start_s3_server() -> Iterator[S3Server]:
    """Run moto on a free local port with the AWS environment pointing at it; restored on exit."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per request otherwise
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        with temporary_env({**S3_ENV, "AWS_ENDPOINT_URL": endpoint}):
            yield S3Server(endpoint_url=endpoint)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    with start_s3_server() as server:
        yield server


@pytest.fixture()
def s3_bucket(s3_server: S3Server) -> S3Bucket:
    return s3_server.create_bucket()
