"""Executor choice by configuration: ``INFRANAUT_EXECUTOR`` = in_process (default), multiprocess or celery.

In-process is the embedded default because DuckDB admits one writer process at a time and a laptop
gains little from spawning a Python process per step; production spreads steps over Celery workers.

The Celery broker and result backend come from ``INFRANAUT_CELERY_BROKER`` / ``INFRANAUT_CELERY_BACKEND``
(resolved when a run starts, so the URL - which may carry a password - is never baked into definitions):
RabbitMQ (``pyamqp://user:pass@host:5672//``) or Redis (``redis://:pass@host:6379/<db>``, needs the
``redis`` package, a runtime dependency).
Workers read the same variables through deploy/production/celery.yaml, so both sides always agree.
"""

from __future__ import annotations

from typing import Any

import dagster as dg

from infranaut_pipelines.settings import current

CELERY_BROKER_ENV = "INFRANAUT_CELERY_BROKER"
CELERY_BACKEND_ENV = "INFRANAUT_CELERY_BACKEND"
# Steps without their own `dagster-celery/queue` tag go to this queue; workers listen with `-q <queue>`.
# Separate queue names let several deployments (or test sessions) share one broker without taking each
# other's tasks.
CELERY_QUEUE_ENV = "INFRANAUT_CELERY_QUEUE"


def _env_or(name: str, value: str) -> Any:
    # Set variables go in as {"env": ...}: resolved when a run starts, so a password is never in definitions.
    return {"env": name} if current().is_set(name) else value


def broker_problem(url: str, timeout: float = 5.0) -> str | None:
    """None when the broker accepts a connection, else what is wrong (URL with its password masked).

    Works for any kombu URL; the deployments use ``pyamqp://`` (RabbitMQ) or ``redis://`` (Redis)."""
    from kombu import Connection
    from kombu.utils.url import maybe_sanitize_url

    with Connection(url, connect_timeout=timeout) as conn:
        try:
            conn.ensure_connection(max_retries=1, timeout=timeout)
            return None
        except ImportError as exc:
            # kombu loads a transport's client library only on connect: without this branch a missing
            # `redis` package would read as "unreachable" and send the operator to check a healthy server.
            # (conn.as_uri() needs the transport that just failed to load, hence the URL as given, masked.)
            return f"Celery broker {maybe_sanitize_url(url)} needs a Python package that is not installed ({exc})"
        except Exception as exc:  # kombu wraps socket errors in OperationalError
            return f"Celery broker {conn.as_uri()} is unreachable ({exc})"


def _checked_celery_executor() -> dg.ExecutorDefinition:
    """dagster-celery's executor, plus one broker check before any step is submitted: without it a dead
    broker surfaces as a bare kombu "Connection refused" traceback that names neither the broker nor the fix."""
    from dagster._core.execution.retries import RetryMode
    from dagster_celery.executor import CELERY_CONFIG, CeleryExecutor

    class BrokerCheckedCeleryExecutor(CeleryExecutor):
        def execute(self, plan_context, execution_plan):  # type: ignore[no-untyped-def]
            problem = broker_problem(self.broker or current().celery_broker)
            if problem:
                raise dg.Failure(
                    description=f"{problem}. No step was submitted. Start the broker (or fix {CELERY_BROKER_ENV}) "
                    "and re-execute this run (UI: Re-execute > From failure)."
                )
            from dagster_celery.core_execution_loop import core_celery_execution_loop
            from dagster_celery.defaults import task_default_queue
            from dagster_celery.executor import _submit_task

            default_queue = current().celery_queue

            def submit(app, ctx, step, queue, priority, known_state):  # type: ignore[no-untyped-def]
                # dagster-celery passes its own default ("dagster") unless the step is tagged otherwise.
                return _submit_task(app, ctx, step, default_queue if queue == task_default_queue else queue, priority, known_state)

            return core_celery_execution_loop(plan_context, execution_plan, step_execution_fn=submit)

    @dg.executor(name="celery", config_schema=CELERY_CONFIG, requirements=dg.multiple_process_executor_requirements())
    def celery_executor(init_context):  # type: ignore[no-untyped-def]
        cfg = init_context.executor_config
        return BrokerCheckedCeleryExecutor(
            broker=cfg.get("broker"),
            backend=cfg.get("backend"),
            config_source=cfg.get("config_source"),
            include=cfg.get("include"),
            retries=RetryMode.from_config(cfg["retries"]),
        )

    return celery_executor


def celery_executor_from_env() -> dg.ExecutorDefinition:
    celery_executor = _checked_celery_executor()
    return celery_executor.configured(
        {
            "broker": _env_or(CELERY_BROKER_ENV, current().celery_broker),
            "backend": _env_or(CELERY_BACKEND_ENV, current().celery_backend),
        },
        name="celery",
    )


MULTIPROCESS_START_ENV = "INFRANAUT_MULTIPROCESS_START_METHOD"


def multiprocess_executor_from_env() -> dg.ExecutorDefinition:
    """Dagster's multiprocess executor, starting step processes from a forkserver that has already imported
    the project. With Dagster's default (spawn) every step process imports dagster, GX, evidently and the
    project again (~9 s of CPU per step here), which dominated a backfill; forked from the preloaded server
    a step starts at once. ``INFRANAUT_MULTIPROCESS_START_METHOD=spawn`` restores the default, e.g. if a
    library of yours does not survive a fork.
    """
    if current().multiprocess_start_method == "forkserver":
        start: dict[str, Any] = {"forkserver": {"preload_modules": ["infranaut_pipelines.definitions"]}}
    else:
        start = {"spawn": {}}
    return dg.multiprocess_executor.configured({"start_method": start}, name="multiprocess")


def select_executor() -> dg.ExecutorDefinition:
    name = current().executor  # settings.py checks it is one of the three
    if name == "in_process":
        return dg.in_process_executor
    if name == "multiprocess":
        return multiprocess_executor_from_env()
    return celery_executor_from_env()
