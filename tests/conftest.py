"""Shared fixtures: real services, throwaway databases, and the rule for missing services.

A test that needs a service skips on a user's machine without it (with the reason), and fails in CI
(``CI=true``), where a missing service means a broken environment, not an optional feature.
"""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
import warnings
from collections.abc import Iterator

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    if _reachable(host, port):
        return
    msg = f"{name} is not reachable at {host}:{port}"
    if IN_CI:
        pytest.fail(f"{msg} (CI=true: services are required in CI)")
    pytest.skip(f"{msg}; start it to run this test (see ../shared/README.md)")


PG_HOST = os.environ.get("INFRANAUT_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("INFRANAUT_TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("INFRANAUT_TEST_PG_USER", "postgres")


@contextlib.contextmanager
def throwaway_pg_database(prefix: str = "infranaut_test") -> Iterator[str]:
    """A new PostgreSQL database (its URL), dropped afterwards; skips/fails as ``require_service`` says."""
    require_service("PostgreSQL", PG_HOST, PG_PORT)
    import psycopg2

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A throwaway PostgreSQL database for this test session (dropped afterwards)."""
    with throwaway_pg_database() as url:
        yield url


@pytest.fixture(autouse=True)
def _no_dangling_dagster_state_storage() -> Iterator[None]:
    """Dagster 1.13 leaves a test instance's defs-state storage in a process-wide ContextVar after
    ``build_schedule_context(...).evaluate_tick`` with an ``instance_for_test``; once that instance is
    closed, the next ``materialize`` in the same worker fails with "undefined DagsterInstance weakref".
    Reset it after every test so tests stay independent of their order."""
    yield
    from dagster._core.storage.defs_state.base import _current_storage

    _current_storage.set(None)


@pytest.fixture(autouse=True)
def _environment_restored(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test leaves ``os.environ`` as it found it. The settings are read from the environment, so a
    variable one test left behind (a registry, a data folder) silently changes what later tests in the same
    worker see; such a leak is undone here and reported as a warning naming the test and the variables."""
    before = dict(os.environ)
    yield
    after = dict(os.environ)
    for k in ("PYTEST_CURRENT_TEST",):  # pytest's own
        before.pop(k, None), after.pop(k, None)
    if after != before:
        changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
        for k in changed:
            if k in before:
                os.environ[k] = before[k]
            else:
                os.environ.pop(k, None)
        warnings.warn(f"{request.node.nodeid} changed the environment ({', '.join(changed)}); restored", stacklevel=1)
