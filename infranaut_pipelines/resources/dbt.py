"""The dbt project behind the aggregation assets, and how a warehouse URL becomes a dbt target.

The warehouse URL is the single knob: ``dbt_env_for_warehouse`` maps it to the environment variables that
dbt_project/profiles.yml reads (target ``local`` = DuckDB file, ``prod`` = PostgreSQL). The mapping is applied
to the dbt subprocess when a step runs, never at import, so one code location can serve any warehouse.
"""

from __future__ import annotations

import importlib.metadata
import sys
from collections.abc import Mapping
from contextlib import AbstractContextManager
from functools import cache, cached_property
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from dagster._utils import run_with_concurrent_update_guard  # what DbtProject's own preparer uses
from dagster_dbt import DbtCliResource, DbtProject
from dagster_dbt.dbt_project import using_dagster_dev

from infranaut_pipelines.environment import temporary_env
from packaging import version

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"

_TARGET_ENV = "INFRANAUT_DBT_TARGET"


def dbt_env_for_warehouse(url: str) -> dict[str, str]:
    """Environment variables selecting and configuring the dbt target for a warehouse URL.

    ``duckdb:////abs/warehouse.duckdb`` -> target ``local``; ``postgresql://user:pw@host:5432/db`` -> ``prod``
    (``?options=-csearch_path=...`` or ``?schema=...`` sets the schema the models are built in).
    """
    parts = urlsplit(url)
    scheme = parts.scheme.split("+", 1)[0]
    if scheme == "duckdb":
        # duckdb:///relative.duckdb -> "relative.duckdb"; duckdb:////abs/x.duckdb -> "/abs/x.duckdb"
        path = unquote(url.split(":///", 1)[1]) if ":///" in url else ""
        if not path or path.startswith(":memory:"):
            raise ValueError(f"dbt runs in its own process and needs a DuckDB file, not {url!r}")
        return {_TARGET_ENV: "local", "INFRANAUT_DUCKDB_PATH": str(Path(path).expanduser().resolve())}
    if scheme in ("postgresql", "postgres"):
        query = parse_qs(parts.query)
        schema = (query.get("schema") or [""])[0]
        for option in query.get("options", []):
            if "search_path=" in option:
                schema = option.split("search_path=", 1)[1].split(",")[0].split()[0]
        dbname = unquote(parts.path.lstrip("/"))
        if not dbname:
            raise ValueError(f"PostgreSQL URL without a database name: {url!r}")
        return {
            _TARGET_ENV: "prod",
            "INFRANAUT_PG_HOST": parts.hostname or "127.0.0.1",
            "INFRANAUT_PG_PORT": str(parts.port or 5432),
            "INFRANAUT_PG_USER": unquote(parts.username) if parts.username else "postgres",
            "INFRANAUT_PG_PASSWORD": unquote(parts.password) if parts.password else "",
            "INFRANAUT_PG_DBNAME": dbname,
            "INFRANAUT_PG_SCHEMA": schema or "public",
        }
    raise ValueError(f"unsupported warehouse URL for dbt (expected duckdb:/// or postgresql://): {url!r}")


def dbt_environment(env: Mapping[str, str]) -> AbstractContextManager[None]:
    """Set ``env`` in os.environ while a dbt invocation is started.

    DbtCliResource builds the subprocess environment from os.environ and offers no per-call override; the
    subprocess copies it at spawn, so restoring right after ``cli()`` returns is safe.
    """
    return temporary_env(env)


def _dbt_executable() -> str:
    # Prefer the dbt next to this interpreter: a venv's bin/ is often not on PATH (tests, daemons).
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


def _parse(project: DbtProject) -> None:
    DbtCliResource(project_dir=project, dbt_executable=_dbt_executable()).cli(
        ["parse", "--quiet"], target_path=project.target_path
    ).wait()


def _manifest_is_stale(project: DbtProject) -> bool:
    """Missing, or older than a file of the project: a manifest that disagrees with the SQL makes steps fail
    on unknown nodes. Deployments that ship a prepared manifest keep it newer than the sources."""
    if not project.manifest_path.exists():
        return True
    built = project.manifest_path.stat().st_mtime
    target = project.project_dir / project.target_path
    for path in project.project_dir.rglob("*"):
        if path.suffix in (".sql", ".yml", ".yaml") and target not in path.parents and path.stat().st_mtime > built:
            return True
    return False


@cache
def dbt_project() -> DbtProject:
    """The dbt project, with a manifest guaranteed to exist when Definitions load.

    Same policy as ``DbtProject.prepare_if_dev()`` (re-parse under ``dagster dev`` to pick up edits), plus a
    ``dbt parse`` when the manifest is missing or stale (fresh clone, tests, an edited project, an image built
    without ``dagster-dbt project prepare-and-package``). Parsing needs only the profile's defaults, not a
    warehouse. It runs the venv's dbt, which the stock preparer would look up on PATH.
    """
    project = DbtProject(project_dir=DBT_PROJECT_DIR)
    if using_dagster_dev() or _manifest_is_stale(project):
        run_with_concurrent_update_guard(project.manifest_path, _parse, project=project)
    if not project.manifest_path.exists():
        raise FileNotFoundError(f"dbt parse did not produce {project.manifest_path}")
    return project


class InfranautDbtCliResource(DbtCliResource):
    """``DbtCliResource`` that reads dbt's version from package metadata instead of running
    ``dbt --version`` in a subprocess for every run (3+ s a step: the resource is rebuilt per run).
    We install dbt-core itself, never the separately shipped fusion engine, so the metadata is exact."""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))


def dbt_resource() -> DbtCliResource:
    """The ``dbt`` resource for Definitions."""
    return InfranautDbtCliResource(project_dir=dbt_project(), dbt_executable=_dbt_executable())


__all__ = ["DBT_PROJECT_DIR", "dbt_resource", "dbt_env_for_warehouse", "dbt_environment", "dbt_project"]
