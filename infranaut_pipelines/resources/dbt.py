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

from dagster_dbt import DbtCliResource, DbtProject
from packaging import version

from infranaut_pipelines.environment import temporary_env
from infranaut_pipelines.resources.dbt_state import DBT_STATE_DIR_ENV, dbt_state_dir, exclusive, writable_copy

# A checkout (editable install) has dbt_project/ at the repository root; a built wheel carries a copy with a
# prepared manifest inside the package (build_support/dbt_hook.py). The checkout wins: it is what a developer edits.
CHECKOUT_DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
PACKAGED_DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
DBT_PROJECT_DIR = CHECKOUT_DBT_PROJECT_DIR if (CHECKOUT_DBT_PROJECT_DIR / "dbt_project.yml").exists() else PACKAGED_DBT_PROJECT_DIR

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
    on unknown nodes."""
    if not project.manifest_path.exists():
        return True
    built = project.manifest_path.stat().st_mtime
    target = project.project_dir / project.target_path
    for path in project.project_dir.rglob("*"):
        if path.suffix in (".sql", ".yml", ".yaml") and target not in path.parents and path.stat().st_mtime > built:
            return True
    return False


def _project_dir() -> Path:
    """The checkout's dbt_project/ in place (writable, edited live under ``dagster dev``) unless
    ``INFRANAUT_DBT_STATE_DIR`` asks otherwise; the packaged copy always goes to the state folder."""
    from infranaut_pipelines.settings import current

    if DBT_PROJECT_DIR == CHECKOUT_DBT_PROJECT_DIR and not current().dbt_state_dir:
        return DBT_PROJECT_DIR
    if not (DBT_PROJECT_DIR / "dbt_project.yml").exists():
        raise FileNotFoundError(
            f"no dbt project: neither {CHECKOUT_DBT_PROJECT_DIR} (a checkout) nor {PACKAGED_DBT_PROJECT_DIR} "
            "(a built wheel) exists; build the package with `pip wheel .` / `pip install .`"
        )
    return writable_copy(DBT_PROJECT_DIR, dbt_state_dir())


@cache
def dbt_project() -> DbtProject:
    """The dbt project, with a manifest guaranteed to exist when Definitions load.

    Same policy as ``DbtProject.prepare_if_dev()`` (re-parse under ``dagster dev`` to pick up edits), plus a
    ``dbt parse`` when a checkout's manifest is missing or stale (fresh clone, tests, an edited project).
    A packaged manifest is trusted as built (installers do not keep file times, so "stale" would be noise)
    and re-parsed only if missing. Parsing needs only the profile's defaults, not a warehouse. It runs the
    venv's dbt, which the stock preparer would look up on PATH.
    """
    project = DbtProject(project_dir=_project_dir())
    packaged = DBT_PROJECT_DIR == PACKAGED_DBT_PROJECT_DIR

    def needs_parse() -> bool:
        if project.preparer.using_dagster_dev() or not project.manifest_path.exists():
            return True
        return not packaged and _manifest_is_stale(project)

    if needs_parse():
        with exclusive(project.project_dir / project.target_path / ".parse.lock"):
            if needs_parse():  # another process may have parsed while this one waited
                _parse(project)
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


__all__ = ["DBT_PROJECT_DIR", "DBT_STATE_DIR_ENV", "dbt_state_dir", "dbt_resource", "dbt_env_for_warehouse", "dbt_environment", "dbt_project"]
