"""Faults on the production profile, in one sequence sharing one pair of workers (each run costs ~40 s here):

1. broker down when the run starts -> the run fails, saying the broker is unreachable; it can be retried;
2. PostgreSQL "restarts" (every connection to our throwaway databases is terminated) -> the next run works;
3. a worker's step process is SIGKILLed mid-step (dbt running) -> the run fails naming the step; a retry
   from failure re-executes it and the outputs equal the in-process reference, with no duplicate rows.
"""

from __future__ import annotations

import threading
import time

import dagster as dg
import pytest

from .conftest import MODEL, TARGET_DAY, Prod, partition
from .outputs import Outputs, assert_no_duplicates, assert_same, read_outputs
from .runs import celery_workers_used, retry_from_failure, run_partition
from .services import Workers, celery_workers, patched_env, terminate_backends

# One xdist group: these tests share the session's stack and the broker's `dagster` queue; run in parallel
# (two xdist processes), one test's workers would take the other's tasks with the wrong environment.
pytestmark = pytest.mark.xdist_group("production")

DEAD_BROKER = "pyamqp://guest:guest@127.0.0.1:1//"  # nothing listens on port 1
KILLED_STEP = "aggregation_dbt_assets"


def _failure_text(instance: dg.DagsterInstance, run_id: str) -> str:
    records = instance.get_records_for_run(run_id).records
    parts = []
    for r in records:
        ev = r.event_log_entry.dagster_event
        if ev and (ev.is_failure or ev.event_type in (dg.DagsterEventType.ENGINE_EVENT, dg.DagsterEventType.RUN_FAILURE)):
            parts.append(ev.message or "")
            err = getattr(ev.event_specific_data, "error", None)
            if err is not None:
                parts.append(err.to_string())
    return "\n".join(parts)


class StepKiller(threading.Thread):
    """Waits until ``step`` runs in a celery worker (its engine event names the worker), then kills it there."""

    def __init__(self, instance: dg.DagsterInstance, workers: Workers, step: str, skip_runs: set[str]) -> None:
        super().__init__(daemon=True)
        self.instance, self.workers, self.step, self.skip = instance, workers, step, skip_runs
        self.stop = threading.Event()
        self.killed: list[int] = []
        self.run_id = ""

    def run(self) -> None:
        while not self.stop.is_set():
            for rec in self.instance.get_run_records(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])):
                run_id = rec.dagster_run.run_id
                if run_id in self.skip:
                    continue
                host = celery_workers_used(self.instance, run_id).get(self.step)
                if host:
                    time.sleep(2.0)  # let dbt get going: a kill mid-step, not before it
                    index = next(i for i, n in enumerate(self.workers.names) if host.startswith(n + "@"))
                    self.killed = self.workers.kill_pool(index)
                    self.run_id = run_id
                    return
            time.sleep(0.3)


def test_broker_down_pg_restart_worker_killed(prod: Prod, reference: Outputs) -> None:
    from infranaut_pipelines.partitions import MODEL_PARTITIONS_NAME

    stack = prod.new_stack("faults")
    key = partition(TARGET_DAY)
    pg_dbs = [prod.instance_db, stack.warehouse_db]
    with patched_env(prod.env(stack)):
        instance = dg.DagsterInstance.get()
        instance.add_dynamic_partitions(MODEL_PARTITIONS_NAME, [MODEL])

        # 1. broker down: fails fast and says why
        t0 = time.monotonic()
        with patched_env({"INFRANAUT_CELERY_BROKER": DEAD_BROKER}):
            down = run_partition(instance, key)
        t_down = time.monotonic() - t0
        assert not down.success
        text = _failure_text(instance, down.run_id)
        assert "Celery broker amqp://guest:**@127.0.0.1:1//" in text and "is unreachable" in text, text[-3000:]
        assert "guest:guest" not in text  # the password is masked
        assert instance.get_run_by_id(down.run_id).status == dg.DagsterRunStatus.FAILURE
        assert not celery_workers_used(instance, down.run_id)  # nothing reached a worker

        # 2. PostgreSQL restart: all connections to the instance and warehouse databases die
        terminate_backends(prod.pg_url, pg_dbs)

        with celery_workers(2, prod.worker_env(stack), prod.tmp) as workers:
            # 3a. the retry of the broker-down run; a worker's step process is killed while dbt runs
            killer = StepKiller(instance, workers, KILLED_STEP, skip_runs={down.run_id})
            killer.start()
            try:
                killed_run = retry_from_failure(instance, down.run_id, key)
            finally:
                killer.stop.set()
                killer.join(10)
            assert killer.killed, "the step was never seen running in a worker"
            assert killed_run.run_id == killer.run_id
            assert not killed_run.success
            assert KILLED_STEP in _failure_text(instance, killed_run.run_id)

            terminate_backends(prod.pg_url, pg_dbs)  # and once more before the retry that must succeed

            # 3b. retry from failure: re-executes the killed step (and what depends on it) only
            retried = retry_from_failure(instance, killed_run.run_id, key)
            assert retried.success, _failure_text(instance, retried.run_id)[-3000:]
            assert KILLED_STEP in celery_workers_used(instance, retried.run_id)
            assert "raw_inferences" not in celery_workers_used(instance, retried.run_id)
        instance.dispose()

    out = read_outputs(stack.lake_url, stack.warehouse_url, MODEL, TARGET_DAY)
    assert_same(out, reference)
    assert_no_duplicates(out, stack.warehouse_url, MODEL, TARGET_DAY)
    print(f"\nbroker-down run failed after {t_down:.1f}s; killed pids {killer.killed}")
