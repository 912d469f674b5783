"""Celery on Redis: one (date, model) partition with Redis as broker and result backend gives what an
in-process run gives.

The other production tests use RabbitMQ. Here only INFRANAUT_CELERY_BROKER/BACKEND differ: the executor,
the workers' command and deploy/production/celery.yaml are the ones production uses. The tests' own Redis
DB (services.REDIS_URL) and a queue of this session's keep other users of the server apart; what the run
left in Redis is removed afterwards, and the removal is checked.
"""

from __future__ import annotations

import time
import uuid

import dagster as dg
import pytest

from .conftest import MODEL, TARGET_DAY, Prod, partition
from .outputs import Outputs, assert_no_duplicates, assert_same, read_outputs
from .runs import assert_partition_spread, run_partition
from .services import celery_workers, clean_redis, patched_env, redis_leftovers

# Same group as the RabbitMQ tests: they share the session's instance database and moto server.
pytestmark = pytest.mark.xdist_group("production")


# redis_broker first: without Redis the test skips before the minute of preparation `prod` costs.
def test_partition_through_celery_on_redis_matches_in_process(redis_broker: str, prod: Prod, reference: Outputs) -> None:
    from infranaut_pipelines.definitions import build_definitions
    from infranaut_pipelines.partitions import MODEL_PARTITIONS_NAME

    stack = prod.new_stack("redis")
    key = partition(TARGET_DAY)
    queue = f"infranaut-test-redis-{uuid.uuid4().hex[:10]}"
    celery_env = {"INFRANAUT_CELERY_BROKER": redis_broker, "INFRANAUT_CELERY_BACKEND": redis_broker, "INFRANAUT_CELERY_QUEUE": queue}
    markers: list[str] = []  # what names this session's keys in Redis: worker names, the run id
    try:
        with celery_workers(2, prod.worker_env(stack, **celery_env), prod.tmp) as workers, patched_env(prod.env(stack, **celery_env)):
            markers += [f"{n}@" for n in workers.names]
            instance = dg.DagsterInstance.get()
            defs = build_definitions()
            instance.add_dynamic_partitions(MODEL_PARTITIONS_NAME, [MODEL])
            t1 = time.monotonic()
            result = run_partition(instance, key)
            t_celery = time.monotonic() - t1
            markers.append(result.run_id)
            used = assert_partition_spread(instance, result, key, defs, workers.names)
            instance.dispose()
        # The messages and results really went through Redis (not a RabbitMQ left in the environment):
        # the queue's binding table and one stored result per step are there.
        left = redis_leftovers(redis_broker, queue, markers)
        assert f"_kombu.binding.{queue}" in left, left
        assert sum(k.startswith("celery-task-meta-") for k in left) == len(used), (left, used)
    finally:
        clean_redis(redis_broker, queue, markers)
    assert not redis_leftovers(redis_broker, queue, markers)

    out = read_outputs(stack.lake_url, stack.warehouse_url, MODEL, TARGET_DAY)
    assert_same(out, reference)
    assert out.drift.filter(out.drift["drifted"]).height > 0  # day 5 drifts: the verdicts are not vacuous
    assert_no_duplicates(out, stack.warehouse_url, MODEL, TARGET_DAY)
    print(f"\ncelery on redis {t_celery:.1f}s, steps per worker: {used}")
