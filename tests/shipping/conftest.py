from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.shipping.wheel import build_wheel, clean_copy, install


@dataclass(frozen=True)
class Installed:
    wheel: Path
    venv: Path
    package: Path  # the installed infranaut_pipelines folder, made read-only


@pytest.fixture(scope="session")
def installed_wheel() -> Iterator[Installed]:
    with tempfile.TemporaryDirectory(prefix="infranaut-wheel-") as tmp:
        base = Path(tmp)
        source = clean_copy(base / "src")
        wheel = build_wheel(source, base / "dist")
        site = install(wheel, base / "venv")
        package = site / "infranaut_pipelines"
        subprocess.run(["chmod", "-R", "a-w", str(package)], check=True)
        try:
            yield Installed(wheel, base / "venv", package)
        finally:
            subprocess.run(["chmod", "-R", "u+w", str(package)], check=True)  # let the temp dir go
