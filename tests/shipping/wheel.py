"""Build the project's wheel from a clean copy of the checkout and install it into a fresh virtualenv.

The wheel is built exactly as the Dockerfile does (``pip wheel --no-deps``, with build isolation, so the
build hook's own dbt parses the packaged project). Its install is real (pip, into the new venv's
site-packages, console scripts included); only its dependencies are borrowed from the test's own venv through
a ``.pth`` line, which saves the ~2.5 min of installing ~200 packages again. Set
``INFRANAUT_SHIPPING_FULL_INSTALL=1`` to install the dependencies into the new venv as well.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def clean_copy(dest: Path) -> Path:
    """The checkout's tracked and not-ignored files: what a fresh clone (or the image's build context) holds,
    without a developer's build/, data/ or dbt_project/target/."""
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT, check=True, capture_output=True,
    ).stdout.decode().split("\0")
    for name in filter(None, files):
        if (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    return dest


def build_wheel(source: Path, out: Path) -> Path:
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(source)], timeout=600)
    (wheel,) = out.glob("infranaut_pipelines-*.whl")
    return wheel


def install(wheel: Path, venv: Path) -> Path:
    """Install ``wheel`` into a new venv at ``venv``; returns the venv's site-packages."""
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    site = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).strip())
    full = os.environ.get("INFRANAUT_SHIPPING_FULL_INSTALL") == "1"
    if not full:
        # Appended after the venv's own site-packages, so the installed wheel shadows the checkout's editable
        # install (whose import hook lives in a .pth file that a plain path line does not execute).
        (site / "zz_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
         *([] if full else ["--no-deps"]), str(wheel)], timeout=900)
    return site


def run(args: Sequence[str], cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 300) -> str:
    out = subprocess.run(list(args), cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise AssertionError(f"{' '.join(args[:4])} ... exited {out.returncode}\n{out.stdout[-4000:]}\n{out.stderr[-6000:]}")
    return out.stdout + out.stderr


def read_only_runner(folder: Path) -> list[str]:
    """A command prefix that runs its command with ``folder`` mounted read-only, when the machine allows it.

    Tests run as root in CI, and root writes through ``chmod a-w``; a read-only bind mount in a private mount
    namespace stops root too. Where that is not possible the prefix is empty and the caller's before/after
    snapshot of the folder still catches a write."""
    script = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" "$0" && exec "$@"'
    prefix = ["unshare", "-m", "--propagation", "private", "sh", "-c", script, str(folder)]
    if shutil.which("unshare"):
        probe = subprocess.run([*prefix, "sh", "-c", f'! touch "{folder}/.write-probe" 2>/dev/null'], capture_output=True)
        if probe.returncode == 0:
            return prefix
    return []


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")}
