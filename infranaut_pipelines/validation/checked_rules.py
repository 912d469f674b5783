"""Remember which registries' custom rules passed ``check_rules``, so a load of the same code location with
the same registry does not check them again.

Checking a custom rule means building its Great Expectations expectation, and importing GX costs seconds;
every process that loads the code location (code server, each run worker, each step process) would pay
that for rules that have not changed since the last load. A verdict is remembered only when every rule
passed, under a fingerprint of what decides it: each checked model's registry entry, the installed GX
version and the source of the modules that turn rules into expectations. Any change checks again.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from infranaut_pipelines.registry.schema import ModelSpec

_DECIDING_MODULES = ("expectations.py", "rules.py", "checked_rules.py")


def fingerprint(specs: Iterable[ModelSpec]) -> str:
    digest = hashlib.sha256()
    try:
        digest.update(importlib.metadata.version("great_expectations").encode())
    except importlib.metadata.PackageNotFoundError:
        digest.update(b"no great_expectations")
    here = Path(__file__).parent
    for name in _DECIDING_MODULES:
        digest.update(b"\0" + (here / name).read_bytes())
    for spec in sorted(specs, key=lambda s: s.id):
        digest.update(b"\0" + spec.model_dump_json().encode())
    return digest.hexdigest()


def was_checked(folder: Path, key: str) -> bool:
    return (folder / key).is_file()


def remember(folder: Path, key: str) -> None:
    """Best effort: a folder that cannot be written only means the next load checks again."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
        os.close(fd)
        os.replace(tmp, folder / key)  # atomic: a concurrent load never sees half a marker
    except OSError:
        pass
