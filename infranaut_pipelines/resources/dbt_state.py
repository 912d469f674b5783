"""dbt's writable state for a project folder that may be read-only (an installed package, a container image).

dbt writes into its project folder: target/ (manifest, per-invocation artefacts, the partial-parse cache) and
logs/. A copy of the project under a writable state folder takes those writes; nothing here imports Dagster.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# Where dbt's writable state goes when the project folder is not ours to write.
DBT_STATE_DIR_ENV = "INFRANAUT_DBT_STATE_DIR"
_NOT_COPIED = shutil.ignore_patterns("logs", "dbt_packages", ".user.yml", "*.duckdb", "*.duckdb.wal", "*.lock")


@contextmanager
def exclusive(lock_file: Path) -> Iterator[None]:
    """One parser at a time across processes (code server, run workers, Celery workers start together)."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_file, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def dbt_state_dir() -> Path:
    """``$INFRANAUT_DBT_STATE_DIR``, else ``$DAGSTER_HOME/dbt``, else a per-user folder in the temp dir
    (e.g. ``dagster definitions validate`` without an instance)."""
    from infranaut_pipelines.settings import current

    if current().dbt_state_dir:
        return Path(current().dbt_state_dir).expanduser().resolve()
    # DAGSTER_HOME is Dagster's own variable (the instance folder), read here only to place dbt's state beside it.
    if os.environ.get("DAGSTER_HOME"):
        return Path(os.environ["DAGSTER_HOME"]).expanduser().resolve() / "dbt"
    return Path(tempfile.gettempdir()) / f"infranaut-dbt-{os.getuid()}"


def _fingerprint(source: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in source.rglob("*") if p.is_file() and "logs" not in p.relative_to(source).parts):
        rel = path.relative_to(source)
        if rel.parts[0] == "target" and rel != Path("target", "manifest.json"):
            continue
        digest.update(str(rel).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def writable_copy(source: Path, state_dir: Path) -> Path:
    """A copy of ``source`` under ``state_dir`` that dbt may write into, one per content of the project (an
    upgraded package gets a fresh copy; concurrent processes end up sharing one). Only the manifest of
    target/ is copied: per-run target folders of a checkout are not worth carrying."""
    dest = state_dir / f"dbt_project-{_fingerprint(source)}"
    if (dest / "dbt_project.yml").exists():
        return dest
    state_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".dbt_project-", dir=state_dir))
    shutil.rmtree(tmp)

    def ignore(folder: str, names: list[str]) -> set[str]:
        skipped = set(_NOT_COPIED(folder, names))
        if Path(folder) == source / "target":
            skipped |= {n for n in names if n != "manifest.json"}
        return skipped

    shutil.copytree(source, tmp, ignore=ignore)  # copy2: mtimes kept, so the manifest stays newer than the SQL
    for path in [tmp, *tmp.rglob("*")]:  # a read-only install copies as read-only files
        path.chmod(path.stat().st_mode | stat.S_IWUSR)
    try:
        tmp.rename(dest)
    except OSError:  # another process won the race: use its identical copy
        shutil.rmtree(tmp, ignore_errors=True)
    return dest
