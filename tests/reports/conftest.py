"""Fixtures of the report tests: moto's S3 server (real HTTP)."""

from __future__ import annotations

from tests.s3_server import s3_bucket, s3_server  # noqa: F401  (fixtures)
