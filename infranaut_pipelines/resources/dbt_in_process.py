"""dbt run inside the step's own process (dbt's programmatic ``dbtRunner``), with its parsed manifest kept.

Measured on a 2,000-row partition (benchmarks/partition_run.py): the ``dbt build`` subprocess that
``DbtCliResource.cli`` starts costs ~3.5 s, almost all of it a Python start-up, dbt's imports and a
(partial) parse; the build itself is ~0.7 s. In-process, dbt is already imported (dagster-dbt loads it) and
the manifest of the first build is reused by every later build of the process (dbt's documented
"reusing objects" pattern): the partition travels in environment variables read at execution time
(dbt_project/macros/partition.sql), so the parsed project is the same for every partition.

The Dagster side is dagster-dbt's: the same selection for the step's selected assets and checks, and dbt's
structured events turned into Outputs and AssetCheckResults by ``DbtCliEventMessage.to_default_asset_events``,
so materializations, check results and their metadata are what the subprocess produced.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtCliRuntimeError, DagsterDbtTranslator, DbtProject
from dagster_dbt.asset_utils import get_updated_cli_invocation_params_for_context
from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage

from infranaut_pipelines.environment import temporary_env

PARTIAL_PARSE = "partial_parse.msgpack"
# dbt keeps global state (flags, adapters, the invocation context): one invocation at a time per process.
_LOCK = threading.Lock()
_MANIFESTS: dict[tuple, Any] = {}
# The partition's variables change per build and are read only at execution; the rest (target, warehouse
# path or host) shapes the parsed manifest (relation names), so it keys the cache.
PARTITION_ENV = ("INFRANAUT_PARTITION_DATE", "INFRANAUT_PARTITION_DATE_END", "INFRANAUT_PARTITION_MODEL_ID")
# The events dagster-dbt turns into Outputs and check results (DbtCoreCliEventMessage.is_result_event).
RESULT_EVENTS = frozenset({"LogSeedResult", "LogModelResult", "LogSnapshotResult", "LogTestResult"})


def _source_stamp(project_dir: Path) -> float:
    """Newest modification time of the project's sources (not target/ or logs/): an edit re-parses."""
    newest = 0.0
    for folder, dirs, files in os.walk(project_dir):
        dirs[:] = [d for d in dirs if d not in ("target", "logs", "dbt_packages")]
        for name in files:
            if name.endswith((".sql", ".yml", ".yaml")):
                newest = max(newest, os.stat(os.path.join(folder, name)).st_mtime)
    return newest


def _release_duckdb() -> None:
    """dbt-duckdb caches its DuckDB connection in the process after a build; the file must be free for the
    warehouse resource, the next step and other processes (DuckDB admits one writer)."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # dbt-duckdb not installed: a PostgreSQL-only deployment
        return
    env = DuckDBConnectionManager._ENV
    DuckDBConnectionManager.close_all_connections()
    if env is not None:
        env.close()


def _invoke(args: list[str], manifest: Any, env: Mapping[str, str]) -> tuple[Any, list[dict]]:
    from dbt.cli.main import dbtRunner
    from dbt_common.events.functions import msg_to_dict

    events: list[dict] = []

    def keep(msg: Any) -> None:
        # Only what becomes a Dagster event or an error message: dbt fires thousands of debug events per
        # build, and converting each to a dict would cost more than the build.
        if msg.info.name in RESULT_EVENTS or msg.info.level == "error":
            events.append(msg_to_dict(msg))

    with temporary_env(env):
        result = dbtRunner(manifest=manifest, callbacks=[keep]).invoke(args)
    if env.get("INFRANAUT_DBT_TARGET") == "local":
        _release_duckdb()
    return result, events


def _manifest(project: DbtProject, flags: list[str], target_path: Path, env: Mapping[str, str]) -> Any:
    """The parsed project for this warehouse, parsed once per process (partial parse from the shared cache)."""
    key = (str(project.project_dir), _source_stamp(Path(project.project_dir)),
           tuple(sorted((k, v) for k, v in env.items() if k not in PARTITION_ENV)))
    if key not in _MANIFESTS:
        shared = Path(project.project_dir) / project.target_path / PARTIAL_PARSE
        if shared.exists():
            shutil.copyfile(shared, target_path / PARTIAL_PARSE)
        result, events = _invoke(["parse", *flags], None, env)
        if not result.success:
            raise DagsterDbtCliRuntimeError(description="dbt parse failed" + _errors(result, events))
        _keep_partial_parse(target_path, shared)
        _MANIFESTS.clear()  # one warehouse per process in practice: keep one parsed project
        _MANIFESTS[key] = result.result
    return _MANIFESTS[key]


def _keep_partial_parse(invocation_target: Path, shared: Path) -> None:
    """Write the parse cache back for the next process (seeded from `dbt parse` at load, whose profile
    differs from the run's, it would make every new process re-parse from scratch)."""
    fresh = invocation_target / PARTIAL_PARSE
    if not fresh.exists():
        return
    shared.parent.mkdir(parents=True, exist_ok=True)
    tmp = shared.with_name(f"partial_parse.{os.getpid()}.tmp")
    shutil.copyfile(fresh, tmp)
    tmp.replace(shared)  # atomic: a concurrent reader sees the old or the new file, never half of one


def _errors(result: Any, events: list[dict]) -> str:
    messages = [e["info"]["msg"] for e in events if e.get("info", {}).get("level") == "error"]
    if result.exception is not None:
        messages.append(f"{type(result.exception).__name__}: {result.exception}")
    return ("\n\nErrors parsed from dbt logs:\n" + "\n".join(messages)) if messages else ""


def dbt_build_in_process(
    context: dg.AssetExecutionContext,
    project: DbtProject,
    translator: DagsterDbtTranslator,
    env: Mapping[str, str],
    command: str = "build",
) -> Iterator[Any]:
    """Run ``dbt <command>`` for the step's selection in this process and yield its Dagster events.

    Raises ``DagsterDbtCliRuntimeError`` (after yielding the events of what did run) when dbt fails or a test
    fails, as ``DbtCliResource.cli(...).stream()`` does, so a failing dbt test still fails the step."""
    params = get_updated_cli_invocation_params_for_context(
        context=context, manifest={}, dagster_dbt_translator=translator
    )
    project_dir = Path(params.dbt_project.project_dir if params.dbt_project else project.project_dir)
    target_path = project_dir / project.target_path / f"{uuid.uuid4().hex[:7]}-{context.run.run_id[:7]}"
    target_path.mkdir(parents=True)
    flags = ["--project-dir", str(project_dir), "--profiles-dir", str(project_dir),
             "--target-path", str(target_path), "--log-path", str(target_path)]  # fmt: skip
    if params.indirect_selection:
        flags += ["--indirect-selection", params.indirect_selection]
    with _LOCK:
        manifest = _manifest(project, flags, target_path, env)
        args = [command, *flags, *params.selection_args]
        context.log.info(f"dbt {' '.join([command, *params.selection_args])} (in process)")
        result, events = _invoke(args, manifest, env)
    for raw in events:
        event = DbtCoreCliEventMessage(raw_event=raw, event_history_metadata={})
        yield from event.to_default_asset_events(
            manifest=params.manifest, dagster_dbt_translator=params.dagster_dbt_translator, context=context,
            target_path=target_path, project=params.dbt_project,
        )  # fmt: skip
    sys.stdout.flush()
    if not result.success:
        raise DagsterDbtCliRuntimeError(
            description=f"dbt {command} (in process) failed. Check the step's stdout for dbt's log." + _errors(result, events)
        )
