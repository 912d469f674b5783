"""One (date, model) partition through Celery on the production profile gives what an in-process run gives.

Production profile = deploy/production/dagster.yaml (PostgreSQL run/event/schedule storage, S3 compute logs),
landing and lake on S3, warehouse on PostgreSQL (dbt's prod target), steps on two Celery worker processes
started here with the documented command.
"""

from __future__ import annotations

import time

import dagster as dg
import pytest

from .conftest import MODEL, TARGET_DAY, Prod, partition
from .outputs import Outputs, assert_no_duplicates, assert_same, read_outputs
from .runs import assert_partition_spread, run_partition
from .services import celery_workers, patched_env

# One xdist group: these tests share the session's stack and the broker's `dagster` queue; run in parallel
# (two xdist processes), one test's workers would take the other's tasks with the wrong environment.
pytestmark = pytest.mark.xdist_group("production")


def test_partition_through_celery_matches_in_process(prod: Prod, reference: Outputs) -> None:
    from infranaut_pipelines.definitions import build_definitions
    from infranaut_pipelines.partitions import MODEL_PARTITIONS_NAME

    key = partition(TARGET_DAY)
    with celery_workers(2, prod.worker_env(prod.celery), prod.tmp) as workers, patched_env(prod.env(prod.celery)):
        instance = dg.DagsterInstance.get()  # DAGSTER_HOME -> the production dagster.yaml, PostgreSQL storage
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        defs = build_definitions()
        instance.add_dynamic_partitions(MODEL_PARTITIONS_NAME, [MODEL])
        t1 = time.monotonic()
        result = run_partition(instance, key)
        t_celery = time.monotonic() - t1
        used = assert_partition_spread(instance, result, key, defs, workers.names)
        instance.dispose()

    celery_out = read_outputs(prod.celery.lake_url, prod.celery.warehouse_url, MODEL, TARGET_DAY)
    assert_same(celery_out, reference)
    assert celery_out.frames["raw_inferences"].height == celery_out.counts["validated_inferences"] + celery_out.counts["quarantined_inferences"]
    assert celery_out.drift.filter(celery_out.drift["drifted"]).height > 0  # day 5 drifts: the verdicts are not vacuous
    assert_no_duplicates(celery_out, prod.celery.warehouse_url, MODEL, TARGET_DAY)
    print(f"\ncelery {t_celery:.1f}s, steps per worker: {used}")
