"""Processes and databases the production tests start, and stop again.

Celery workers are started with the documented command (``dagster-celery worker start -A dagster_celery.app
-y deploy/production/celery.yaml``), each in its own session so that the worker and its pool children are
stopped together by process-group id.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.env import temporary_env as patched_env  # noqa: F401  (re-exported for the production tests)

REPO = Path(__file__).resolve().parents[2]
PRODUCTION_YAML = REPO / "deploy" / "production" / "dagster.yaml"
CELERY_YAML = REPO / "deploy" / "production" / "celery.yaml"
DAGSTER_CELERY = str(Path(sys.executable).parent / "dagster-celery")
RABBIT_URL = "pyamqp://guest:guest@127.0.0.1:5672//"
# A Redis database number of the tests' own, so their keys never mix with an application's in DB 0.
REDIS_URL = "redis://127.0.0.1:6379/11"


# ---- PostgreSQL ---------------------------------------------------------------------------------------


def pg_admin(pg_url: str):  # type: ignore[no-untyped-def]
    import psycopg2
    from sqlalchemy.engine import make_url

    u = make_url(pg_url)
    conn = psycopg2.connect(host=u.host, port=u.port, user=u.username, dbname="postgres")
    conn.autocommit = True
    return conn


def db_url(pg_url: str, name: str) -> str:
    return pg_url.rsplit("/", 1)[0] + "/" + name


def create_database(pg_url: str, prefix: str, template: str | None = None) -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    conn = pg_admin(pg_url)
    try:
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    finally:
        conn.close()
    return name


def drop_database(pg_url: str, name: str) -> None:
    conn = pg_admin(pg_url)
    try:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        conn.close()


def terminate_backends(pg_url: str, names: list[str]) -> int:
    """What a PostgreSQL restart does to clients: every open connection to these databases dies.
    (Only our throwaway databases: the shared server is never restarted.)"""
    conn = pg_admin(pg_url)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = ANY(%s) AND pid <> pg_backend_pid()",
                (names,),
            )
            return int(cur.fetchone()[0])
    finally:
        conn.close()


# ---- Celery workers -----------------------------------------------------------------------------------


@dataclass
class Workers:
    procs: list[subprocess.Popen] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    def kill_pool(self, index: int) -> list[int]:
        """SIGKILL what executes steps on worker ``index``: its prefork pool processes and their children
        (dbt). The CLI wrapper and celery's main process survive and fork a fresh pool process, as after
        an OOM kill of a step."""
        leader = self.procs[index].pid
        out = subprocess.run(["ps", "-o", "pid=,pgid=,ppid=", "-e"], capture_output=True, text=True).stdout
        rows = [tuple(int(x) for x in line.split()) for line in out.splitlines() if line.strip()]
        in_group = {pid: ppid for pid, g, ppid in rows if g == leader}
        keep = {leader} | {pid for pid, ppid in in_group.items() if ppid == leader}
        victims = [pid for pid in in_group if pid not in keep]
        for pid in victims:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return victims


def _ping(broker: str, expected: list[str], timeout: float) -> set[str]:
    from celery import Celery

    app = Celery("ping", broker=broker)
    deadline = time.monotonic() + timeout
    seen: set[str] = set()
    try:
        while time.monotonic() < deadline:
            for reply in app.control.ping(timeout=1.0) or []:
                seen.update(reply)
            if all(any(s.startswith(n + "@") for s in seen) for n in expected):
                return seen
            time.sleep(0.5)
    finally:
        app.close()
    return seen


def start_workers(n: int, env: Mapping[str, str], log_dir: Path, concurrency: int = 1) -> Workers:
    workers = Workers()
    tag = uuid.uuid4().hex[:6]
    try:
        for i in range(n):
            name = f"infranaut-test-{tag}-{i}"
            log = log_dir / f"{name}.log"
            cmd = [
                DAGSTER_CELERY, "worker", "start", "-A", "dagster_celery.app", "-y", str(CELERY_YAML),
                "-q", env["INFRANAUT_CELERY_QUEUE"], "-n", name, "-l", "INFO", "--", f"--concurrency={concurrency}", "--without-gossip", "--without-mingle",
            ]
            with open(log, "wb") as fh:
                proc = subprocess.Popen(cmd, env=dict(env), cwd=REPO, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
            workers.procs.append(proc)
            workers.names.append(name)
            workers.logs.append(log)
        seen = _ping(env["INFRANAUT_CELERY_BROKER"], workers.names, timeout=60)
        missing = [n for n in workers.names if not any(s.startswith(n + "@") for s in seen)]
        if missing:
            tails = "\n".join(p.read_text(errors="replace")[-2000:] for p in workers.logs)
            raise RuntimeError(f"celery workers {missing} did not answer a ping within 60 s:\n{tails}")
        return workers
    except BaseException:
        stop_workers(workers)
        raise


def stop_process_group(proc: subprocess.Popen, grace: float = 10.0) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            pass
    # the group may outlive its leader (pool children): kill whatever is left of it
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(5)


def stop_workers(workers: Workers) -> None:
    for proc in workers.procs:
        stop_process_group(proc)


@contextlib.contextmanager
def celery_workers(n: int, env: Mapping[str, str], log_dir: Path) -> Iterator[Workers]:
    workers = start_workers(n, env, log_dir)
    try:
        yield workers
    finally:
        stop_workers(workers)


def delete_queue(broker: str, queue: str) -> None:
    """Remove the session's queue from the shared broker."""
    from kombu import Connection

    with Connection(broker, connect_timeout=5) as conn, contextlib.suppress(Exception):
        conn.default_channel.queue_delete(queue)


# ---- Redis --------------------------------------------------------------------------------------------

_KOMBU_SEP = "\x06\x16"  # kombu's separator in binding members and priority queue names


def clean_redis(url: str, queue: str, markers: list[str]) -> int:
    """Remove from the Redis DB what one session's broker and result backend left there, and nothing
    else: another session (another checkout, a CI job) may be using the same DB with its own queue.

    Ours = the queue (one list per priority step), its binding tables, unacked messages routed to it, and
    every binding member or task result naming one of ``markers`` (worker names + "@", run ids).
    Returns the number of keys and members removed."""
    import redis

    client = redis.Redis.from_url(url)
    removed = 0

    def ours(value: bytes) -> bool:
        text = value.decode(errors="replace")
        return text.rsplit(_KOMBU_SEP, 1)[-1] == queue or any(m in text for m in markers)

    try:
        keys = [k for k in client.scan_iter(match=f"{queue}*") if k.decode() == queue or k.decode().startswith(queue + _KOMBU_SEP)]
        # results expire only after a day (celery's result_expires); each names its run and worker
        keys += [k for k in client.scan_iter(match="celery-task-meta-*") if ours(client.get(k) or b"")]
        if keys:
            removed += client.delete(*keys)
        for table in client.scan_iter(match="_kombu.binding*"):
            if client.type(table) == b"set":
                members = [m for m in client.smembers(table) if ours(m)]
                if members:
                    removed += client.srem(table, *members)  # an emptied set disappears with its last member
        # sweep deadlines of binding tables that are gone now (e.g. our workers' pidbox bindings)
        for exchange in client.zrange("_kombu.binding_deadlines", 0, -1):
            if not client.exists(b"_kombu.binding." + exchange):
                removed += client.zrem("_kombu.binding_deadlines", exchange)
        # only after a failed run: messages our workers took but never acknowledged
        for tag, message in client.hscan_iter("unacked"):
            if f'"{queue}"'.encode() in message:
                removed += client.hdel("unacked", tag)
                client.zrem("unacked_index", tag)
    finally:
        client.close()
    return removed


def redis_leftovers(url: str, queue: str, markers: list[str]) -> list[str]:
    """Keys of the Redis DB that still name the queue or one of ``markers`` (the check after clean_redis)."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        left = []
        for key in client.scan_iter():
            kind = client.type(key)
            values = [key]
            if kind == b"set":
                values += list(client.smembers(key))
            elif kind == b"string":
                values.append(client.get(key) or b"")
            elif kind == b"hash":
                values += list(client.hvals(key))
            text = b"\n".join(values).decode(errors="replace")
            if queue in text or any(m in text for m in markers):
                left.append(key.decode(errors="replace"))
        return left
    finally:
        client.close()
