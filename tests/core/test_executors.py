"""The Celery broker check that runs before any step is submitted (infranaut_pipelines/executors.py), on
Redis URLs: it names the broker with its password masked and says what is wrong. The RabbitMQ case is
checked end to end in tests/production/test_faults.py."""

from __future__ import annotations

import pytest

from infranaut_pipelines.executors import broker_problem
from tests.conftest import require_service

DEAD_REDIS = "redis://:s3cret@127.0.0.1:1/11"  # nothing listens on port 1


def test_unreachable_redis_is_named_with_its_password_masked() -> None:
    problem = broker_problem(DEAD_REDIS, timeout=1.0)
    assert problem is not None
    assert problem.startswith("Celery broker redis://:**@127.0.0.1:1/11 is unreachable ("), problem
    assert "s3cret" not in problem


def test_missing_redis_package_is_not_reported_as_an_unreachable_broker(monkeypatch: pytest.MonkeyPatch) -> None:
    import kombu.transport.redis as transport

    monkeypatch.setattr(transport, "redis", None)  # what kombu's transport holds when `redis` is not installed
    problem = broker_problem(DEAD_REDIS, timeout=1.0)
    assert problem is not None
    assert "needs a Python package that is not installed" in problem and "pip install redis" in problem, problem
    assert "unreachable" not in problem and "s3cret" not in problem


@pytest.mark.services
def test_reachable_redis_passes() -> None:
    require_service("Redis", "127.0.0.1", 6379)
    assert broker_problem("redis://127.0.0.1:6379/11", timeout=2.0) is None
