"""Launching the real code location's job out of process (what the celery executor needs)."""

from __future__ import annotations

import dagster as dg
from dagster._core.definitions.reconstruct import ReconstructableRepository

from .services import REPO


def recon_job(name: str = "inference_pipeline_job"):  # type: ignore[no-untyped-def]
    """The job as workers load it: by module pointer to the project's own Definitions."""
    repo = ReconstructableRepository.for_module("infranaut_pipelines.definitions", "defs", working_directory=str(REPO))
    return repo.get_reconstructable_job(name)


def partition_tags(key: dg.MultiPartitionKey) -> dict[str, str]:
    from infranaut_pipelines.partitions import date_model_partitions

    return dict(date_model_partitions.get_tags_for_partition_key(str(key)))


def run_partition(instance: dg.DagsterInstance, key: dg.MultiPartitionKey, **kw) -> dg.JobExecutionResult:  # type: ignore[no-untyped-def]
    return dg.execute_job(recon_job(), instance=instance, tags=partition_tags(key), **kw)


def retry_from_failure(instance: dg.DagsterInstance, run_id: str, key: dg.MultiPartitionKey) -> dg.JobExecutionResult:
    """What "Re-execute from failure" (or a run retry) does. execute_job does not copy the parent's partition
    tags onto the child run, so they are passed again."""
    return dg.execute_job(
        recon_job(), instance=instance, tags=partition_tags(key),
        reexecution_options=dg.ReexecutionOptions.from_failure(run_id, instance),
    )


def materialized_assets(instance: dg.DagsterInstance, run_id: str) -> set[str]:
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records
    return {r.event_log_entry.dagster_event.asset_key.to_user_string() for r in records}  # type: ignore[union-attr]


def celery_workers_used(instance: dg.DagsterInstance, run_id: str) -> dict[str, str]:
    """step key -> celery worker hostname, from the engine events the worker reports."""
    out = {}
    for r in instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT).records:
        ev = r.event_log_entry.dagster_event
        md = ev.engine_event_data.metadata if ev and ev.engine_event_data else {}
        if "Celery worker" in md:
            out[ev.step_key] = md["Celery worker"].value  # type: ignore[union-attr]
    return out


def expected_assets(instance_defs: dg.Definitions) -> set[str]:
    from infranaut_pipelines.jobs import INFERENCE_PIPELINE

    return {k.to_user_string() for k in INFERENCE_PIPELINE.resolve(instance_defs.resolve_asset_graph())}


def assert_partition_spread(instance: dg.DagsterInstance, result: dg.JobExecutionResult, key: dg.MultiPartitionKey,
                            defs: dg.Definitions, worker_names: list[str]) -> dict[str, str]:
    """The run succeeded, materialized every asset of the job for ``key``, and its steps ran on more than one
    of these workers. Returns step key -> worker hostname."""
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    assert materialized_assets(instance, result.run_id) == expected_assets(defs)
    for asset in expected_assets(defs):
        assert str(key) in {str(k) for k in instance.get_materialized_partitions(dg.AssetKey.from_user_string(asset))}
    used = celery_workers_used(instance, result.run_id)
    assert used and len(set(used.values())) >= 2, used  # steps really spread over both workers
    assert all(any(h.startswith(n + "@") for n in worker_names) for h in used.values())
    return used
