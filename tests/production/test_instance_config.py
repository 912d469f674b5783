"""deploy/production/dagster.yaml loads against a real PostgreSQL and says what docs/deployment.md says."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest

from .services import PRODUCTION_YAML, patched_env


def test_production_yaml_loads_with_postgres(pg_url: str, tmp_path: Path) -> None:
    from sqlalchemy.engine import make_url

    u = make_url(pg_url)
    shutil.copy(PRODUCTION_YAML, tmp_path / "dagster.yaml")
    env = {
        "DAGSTER_HOME": str(tmp_path),
        "DAGSTER_PG_HOST": u.host, "DAGSTER_PG_PORT": str(u.port), "DAGSTER_PG_USER": u.username,
        "DAGSTER_PG_PASSWORD": "", "DAGSTER_PG_DB": u.database,
        "INFRANAUT_MAX_CONCURRENT_RUNS": "8", "INFRANAUT_COMPUTE_LOG_BUCKET": "any-bucket",
    }
    with patched_env(env):
        instance = dg.DagsterInstance.get()
        try:
            assert type(instance.run_storage).__name__ == "PostgresRunStorage"
            assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
            assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"
            coordinator = instance.run_coordinator
            assert type(coordinator).__name__ == "QueuedRunCoordinator"
            assert coordinator.get_run_queue_config().max_concurrent_runs == 8
            limits = {(lim["key"], str(lim.get("value"))): lim["limit"] for lim in coordinator.get_run_queue_config().tag_concurrency_limits}
            assert limits == {("dagster/backfill", "None"): 4, ("dagster/partition/model", "{'applyLimitPerUniqueValue': True}"): 1}
            assert instance.run_monitoring_enabled
            assert instance.run_retries_enabled and instance.run_retries_max_retries == 2
            assert type(instance.compute_log_manager).__name__ == "S3ComputeLogManager"
            assert type(instance.run_launcher).__name__ == "DefaultRunLauncher"
            # storage is usable: schema created / migrated, a run round-trips
            instance.upgrade()
            assert instance.get_runs_count() >= 0
        finally:
            instance.dispose()


def test_missing_env_var_fails_naming_it(tmp_path: Path) -> None:
    shutil.copy(PRODUCTION_YAML, tmp_path / "dagster.yaml")
    with patched_env({"DAGSTER_HOME": str(tmp_path), "DAGSTER_PG_HOST": None}), pytest.raises(Exception, match="DAGSTER_PG_HOST"):
        dg.DagsterInstance.get()
