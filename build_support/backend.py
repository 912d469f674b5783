"""In-tree PEP 517 backend: setuptools, plus dbt in the isolated environment of a *wheel* build.

A wheel carries the dbt project with a prepared manifest (build_support/dbt_hook.py runs ``dbt parse`` while
the wheel is built), so a wheel build needs dbt-core and the adapter of the parse-time profile (DuckDB, the
default target: parsing connects to nothing). The editable install keeps using dbt_project/ at the repository
root and parses at load time, so it does not pay for installing dbt into its build environment.
"""

from __future__ import annotations

from setuptools import build_meta as _setuptools
from setuptools.build_meta import *  # noqa: F403  (every hook not overridden here stays setuptools')

# Same bounds as the runtime dependencies in pyproject.toml: the manifest must come from the dbt that runs it.
DBT_BUILD_REQUIREMENTS = ["dbt-core>=1.10,<1.12", "dbt-duckdb>=1.10,<1.12"]


def get_requires_for_build_wheel(config_settings=None):  # type: ignore[no-untyped-def]
    return [*_setuptools.get_requires_for_build_wheel(config_settings), *DBT_BUILD_REQUIREMENTS]
