"""A private, throwaway PostgreSQL server that a test may restart for real.

The shared server on 127.0.0.1:5432 serves tests running in parallel, so it must never be restarted.
``pg_cluster()`` builds a cluster of its own with the machine's PostgreSQL binaries (``initdb``, ``pg_ctl``)
in a temporary directory, listening on a free TCP port of 127.0.0.1 with trust authentication:

    with pg_cluster() as pg:
        pg.create_database("dagster")
        url = pg.url("dagster")
        old = pg.postmaster_pid()
        new = pg.restart()          # pg_ctl restart -m fast: every client connection dies

The server is always stopped and the directory removed on exit, also when the block fails.

initdb and postgres refuse to run as root. Under root (CI containers) they run as the ``postgres`` OS user
through ``runuser``, in a directory owned by that user (the unix socket goes there too: the default
/var/run/postgresql may not exist or be writable).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import IN_CI

RUN_AS = "postgres"  # the OS user the server runs as when we are root
START_TIMEOUT = 60  # seconds; pg_ctl -w waits until the server accepts connections


def find_bindir() -> Path | None:
    """Where initdb and pg_ctl are: ``pg_config --bindir``, else the newest /usr/lib/postgresql/*/bin."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True)
            candidates.append(Path(out.stdout.strip()))
    # Debian/Ubuntu: /usr/bin/pg_config may belong to libpq-dev only, the server binaries live per version.
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: _version(Path(p).parent.name), reverse=True)
    candidates += [Path(p) for p in versions]
    for d in candidates:
        if (d / "initdb").is_file() and (d / "pg_ctl").is_file():
            return d
    return None


def _version(name: str) -> tuple[int, ...]:
    try:
        return tuple(int(x) for x in name.split("."))
    except ValueError:
        return (0,)


def missing_prerequisite() -> str | None:
    """None when a private cluster can be built here, else why not."""
    if find_bindir() is None:
        return "PostgreSQL server binaries (initdb, pg_ctl) not found via pg_config --bindir or /usr/lib/postgresql/*/bin"
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            return "running as root and runuser is missing (initdb/postgres refuse to run as root)"
        try:
            pwd.getpwnam(RUN_AS)
        except KeyError:
            return f"running as root and there is no {RUN_AS!r} OS user to run initdb/postgres as"
    return None


def require_pg_binaries() -> None:
    """The project's rule for missing services (tests/conftest.py ``require_service``): skip on a user's
    machine, fail in CI, where missing binaries mean a broken environment."""
    problem = missing_prerequisite()
    if problem is None:
        return
    if IN_CI:
        pytest.fail(f"cannot start a private PostgreSQL server: {problem} (CI=true: it is required in CI)")
    pytest.skip(f"cannot start a private PostgreSQL server: {problem}; install the PostgreSQL server package to run this test")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgCluster:
    """One PostgreSQL cluster in ``root`` (data/, the unix socket, server.log). Not started by the constructor."""

    def __init__(self, root: Path, bindir: Path | None = None) -> None:
        found = bindir or find_bindir()
        if found is None:
            raise FileNotFoundError("PostgreSQL server binaries (initdb, pg_ctl) not found")
        self.bindir = found
        self.root = root
        self.data = root / "data"
        self.log = root / "server.log"
        self.host = "127.0.0.1"
        self.port = _free_port()
        self.user = "postgres"  # the database superuser initdb creates (-U), whatever the OS user

    # ---- commands ----------------------------------------------------------------------------------

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", RUN_AS, "--", *cmd]
        # cwd: the server user may not be allowed into ours (/root), and pg_ctl would complain.
        proc = subprocess.run(cmd, cwd=self.root, capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError(
                f"{' '.join(cmd)} exited with {proc.returncode}:\n{proc.stdout}\n{proc.stderr}\n"
                f"server log:\n{self.server_log()[-3000:]}"
            )
        return proc

    def server_log(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def initdb(self) -> None:
        # --no-sync and fsync=off: a throwaway cluster, durability is not what the tests are about.
        self._run("initdb", "-D", str(self.data), "-U", self.user, "--auth=trust", "--encoding=UTF8",
                  "--locale=C", "--no-sync")
        # In postgresql.conf rather than on pg_ctl's command line, so that a restart keeps them whatever
        # pg_ctl remembers. Appending keeps the file's owner (the server user).
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(
                f"\nport = {self.port}\n"
                f"listen_addresses = '{self.host}'\n"
                f"unix_socket_directories = '{self.root}'\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                "max_connections = 100\n"
            )

    def start(self) -> None:
        self._run("pg_ctl", "start", "-D", str(self.data), "-l", str(self.log), "-w", "-t", str(START_TIMEOUT))

    def restart(self) -> int:
        """``pg_ctl restart -m fast``: backends are terminated, the postmaster exits and a new one starts.
        Returns the new postmaster's PID."""
        self._run("pg_ctl", "restart", "-D", str(self.data), "-l", str(self.log), "-m", "fast", "-w",
                  "-t", str(START_TIMEOUT))
        return self.postmaster_pid()

    def stop(self) -> None:
        """Stop the server; if pg_ctl cannot, kill the postmaster so that nothing outlives the test."""
        pid = self._pid_file()
        if pid is None:
            return
        try:
            self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "fast", "-w", "-t", "30")
        except (RuntimeError, subprocess.TimeoutExpired):
            # SIGQUIT is PostgreSQL's immediate shutdown (the postmaster takes its backends down with it);
            # SIGKILL if even that does not end it.
            for sig in (signal.SIGQUIT, signal.SIGKILL):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
                if _wait_gone(pid, 10):
                    break

    # ---- state -------------------------------------------------------------------------------------

    def postmaster_pid(self) -> int:
        """The running postmaster's PID."""
        pid = self._pid_file()
        if pid is None:
            raise RuntimeError(f"no postmaster.pid in {self.data}: the server is not running")
        return pid

    def _pid_file(self) -> int | None:
        # data/postmaster.pid exists while a postmaster runs (removed on a clean shutdown); PID on line 1.
        try:
            return int((self.data / "postmaster.pid").read_text().splitlines()[0])
        except (OSError, IndexError, ValueError):
            return None

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{dbname}"

    def create_database(self, name: str) -> str:
        import psycopg2

        conn = psycopg2.connect(host=self.host, port=self.port, user=self.user, dbname="postgres")
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(f'CREATE DATABASE "{name}"')
        finally:
            conn.close()
        return self.url(name)


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


@contextlib.contextmanager
def pg_cluster() -> Iterator[PgCluster]:
    """initdb + start a private cluster; stop it and remove its directory on exit, whatever happened."""
    # Not pytest's tmp_path: its parents are 0700 root-owned, and the server user must reach the directory.
    root = Path(tempfile.mkdtemp(prefix="infranaut-pg-"))
    cluster: PgCluster | None = None
    try:
        if os.geteuid() == 0:
            pw = pwd.getpwnam(RUN_AS)
            os.chown(root, pw.pw_uid, pw.pw_gid)
        cluster = PgCluster(root)
        cluster.initdb()
        cluster.start()
        yield cluster
    finally:
        try:
            if cluster is not None:
                cluster.stop()
        finally:
            shutil.rmtree(root, ignore_errors=True)
