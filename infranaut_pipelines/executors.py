"""Executor choice by configuration: ``INFRANAUT_EXECUTOR`` = in_process (default), multiprocess or celery.

In-process is the embedded default because DuckDB admits one writer process at a time and a laptop
gains little from spawning a Python process per step; production spreads steps over Celery workers.

The Celery broker and result backend come from ``INFRANAUT_CELERY_BROKER`` / ``INFRANAUT_CELERY_BACKEND``
(resolved when a run starts, so the URL - which may carry a password - is never baked into definitions).
Workers read the same variables through deploy/production/celery.yaml, so both sides always agree.
"""

from __future__ import annotations

import os
from typing import Any

import dagster as dg

CELERY_BROKER_ENV = "INFRANAUT_CELERY_BROKER"
CELERY_BACKEND_ENV = "INFRANAUT_CELERY_BACKEND"
DEFAULT_CELERY_BROKER = "pyamqp://guest@localhost:5672//"
DEFAULT_CELERY_BACKEND = "rpc://"


def _env_or(name: str, default: str) -> Any:
    return {"env": name} if os.environ.get(name) else default


def celery_executor_from_env() -> dg.ExecutorDefinition:
    from dagster_celery import celery_executor

    return celery_executor.configured(
        {
            "broker": _env_or(CELERY_BROKER_ENV, DEFAULT_CELERY_BROKER),
            "backend": _env_or(CELERY_BACKEND_ENV, DEFAULT_CELERY_BACKEND),
        },
        name="celery",
    )


def select_executor() -> dg.ExecutorDefinition:
    name = os.environ.get("INFRANAUT_EXECUTOR", "in_process")
    if name == "in_process":
        return dg.in_process_executor
    if name == "multiprocess":
        return dg.multiprocess_executor
    if name == "celery":
        return celery_executor_from_env()
    raise ValueError(f"INFRANAUT_EXECUTOR={name!r}: expected in_process, multiprocess or celery")
