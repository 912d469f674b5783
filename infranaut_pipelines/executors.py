"""Executor choice by configuration: ``INFRANAUT_EXECUTOR`` = in_process (default), multiprocess or celery.

In-process is the embedded default because DuckDB admits one writer process at a time and a laptop
gains little from spawning a Python process per step; production spreads steps over Celery workers.
"""

from __future__ import annotations

import os

import dagster as dg


def select_executor() -> dg.ExecutorDefinition:
    name = os.environ.get("INFRANAUT_EXECUTOR", "in_process")
    if name == "in_process":
        return dg.in_process_executor
    if name == "multiprocess":
        return dg.multiprocess_executor
    if name == "celery":
        from dagster_celery import celery_executor

        return celery_executor
    raise ValueError(f"INFRANAUT_EXECUTOR={name!r}: expected in_process, multiprocess or celery")
