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


def test_celery_loop_reads_app_settings_off_the_executor_it_is_given() -> None:
    """BrokerCheckedExecutor forwards attributes to dagster-celery's executor; its loop must still take the
    Celery app settings (and with them task_default_queue) from ``plan_context.executor.app_args()``."""
    import dagster_celery.core_execution_loop as loop

    source = inspect.getsource(loop)
    assert "executor.app_args()" in source and "app.conf.task_default_queue" in source
