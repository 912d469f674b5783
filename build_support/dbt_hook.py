"""setuptools ``build_py`` step that ships the dbt project inside the package, with a prepared manifest.

What dagster-dbt's ``prepare-and-package`` does, as part of the ordinary ``pip wheel .`` / ``pip install .``:
dbt_project/ (repository root) is copied to ``infranaut_pipelines/dbt_project/`` in the build tree and
``dbt parse`` writes ``target/manifest.json`` there. An installed package then needs neither the checkout nor a
writable folder to load its definitions (infranaut_pipelines/resources/dbt.py). dagster-dbt's own
``packaged_project_dir`` is not used because ``DbtProject`` insists that the checkout's project folder exists.

Editable installs skip this: they read dbt_project/ in place.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from setuptools.command.build_py import build_py

SOURCE = "dbt_project"
PACKAGED = Path("infranaut_pipelines") / "dbt_project"
# Build artefacts and local state of a developer's checkout: never shipped.
EXCLUDE = shutil.ignore_patterns("target", "logs", "dbt_packages", ".user.yml", "*.duckdb", "*.duckdb.wal")


def prepare_packaged_project(source: Path, dest: Path) -> Path:
    """Copy the dbt project to ``dest`` and parse it there; returns the manifest's path."""
    source, dest = source.resolve(), dest.resolve()
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(source, dest, ignore=EXCLUDE)
    from dbt.cli.main import dbtRunner  # the build requirement added by build_support/backend.py

    target = dest / "target"
    with tempfile.TemporaryDirectory(prefix="dbt-parse-logs-") as logs:
        # Profile defaults (target local, DuckDB) suffice: parsing reads no warehouse.
        os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        result = dbtRunner().invoke([
            "parse", "--project-dir", str(dest), "--profiles-dir", str(dest),
            "--target-path", str(target), "--log-path", logs,
        ])
    manifest = target / "manifest.json"
    if not result.success or not manifest.exists():
        raise RuntimeError(f"dbt parse of the packaged project failed: {result.exception}")
    # Only the manifest ships: the partial-parse cache is rebuilt in the writable state folder at run time
    # (its profile differs from the build's anyway).
    for path in target.iterdir():
        if path != manifest:
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    return manifest


class BuildPyWithDbtProject(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        prepare_packaged_project(Path(SOURCE), Path(self.build_lib) / PACKAGED)
