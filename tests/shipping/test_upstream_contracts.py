"""Where no public Dagster API exists, the project leans on one upstream detail each; these tests fail loudly,
naming the detail, when an upgrade changes it (instead of a slower or broken run much later)."""

from __future__ import annotations

import functools
import inspect
import subprocess
import sys
from pathlib import Path


def test_dbt_version_override_still_replaces_what_cli_reads() -> None:
    """InfranautDbtCliResource overrides DbtCliResource._cli_version (no public way to skip `dbt --version`)."""
    from dagster_dbt import DbtCliResource

    from infranaut_pipelines.resources.dbt import DBT_PROJECT_DIR, InfranautDbtCliResource

    upstream = inspect.getattr_static(DbtCliResource, "_cli_version", None)
    assert isinstance(upstream, functools.cached_property), "dagster-dbt no longer has a cached _cli_version"
    assert "self._cli_version" in inspect.getsource(DbtCliResource.cli), "DbtCliResource.cli no longer reads _cli_version"
    dbt = Path(sys.executable).parent / "dbt"
    ours = InfranautDbtCliResource(project_dir=str(DBT_PROJECT_DIR), dbt_executable=str(dbt))._cli_version
    printed = subprocess.run([str(dbt), "--version"], capture_output=True, text=True, check=True).stdout
    assert f"{ours.major}.{ours.minor}.{ours.micro}" in printed, printed


def test_dagster_celery_internals_the_executor_uses_are_still_there() -> None:
    """executors.py subclasses dagster-celery's CeleryExecutor and calls its execution loop with its own step
    submitter (the default queue from INFRANAUT_CELERY_QUEUE): none of that is public API."""
    from dagster_celery import core_execution_loop, defaults, executor

    assert issubclass(executor.CeleryExecutor, __import__("dagster").Executor)
    assert {"broker", "backend", "include", "config_source", "retries"} <= set(executor.CELERY_CONFIG)
    assert list(inspect.signature(executor._submit_task).parameters) == ["app", "plan_context", "step", "queue", "priority", "known_state"]
    assert "step_execution_fn" in inspect.signature(core_execution_loop.core_celery_execution_loop).parameters
    assert defaults.task_default_queue == "dagster"
