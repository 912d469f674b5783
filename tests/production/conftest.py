"""The production profile on real services: PostgreSQL instance storage (deploy/production/dagster.yaml),
the landing zone and the lake on S3 (moto's server), the warehouse on PostgreSQL, Celery on RabbitMQ.

``prod`` prepares, once per session, what every test here starts from: demo drops for one model in S3,
the day before the target partition ingested up to ``model_features`` and a baseline built from it
(in process, into the reference stack), then the reference stack cloned (lake prefix copied, warehouse
database created from it as a template) so that the celery run and the in-process run start from the
same state and their outputs can be compared exactly.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest

from tests.conftest import require_service
from tests.s3_server import s3_server  # noqa: F401  (fixture)

from .services import (
    PRODUCTION_YAML,
    RABBIT_URL,
    REDIS_URL,
    create_database,
    db_url,
    delete_queue,
    drop_database,
    patched_env,
)

MODEL = "fraud_detector"
START = dt.date(2026, 11, 1)
DAYS = 6
TARGET_DAY = START + dt.timedelta(days=5)  # the demo's drift episode starts on day 5
ROWS = 400


@dataclass
class Stack:
    """Where one deployment keeps its data: the same landing zone, its own lake prefix and warehouse."""

    lake_url: str
    warehouse_url: str
    warehouse_db: str


@dataclass
class Prod:
    pg_url: str
    bucket: str
    s3_client: object
    landing_url: str
    dagster_home: Path
    instance_db: str
    reference: Stack
    celery: Stack
    base_env: dict[str, str]
    tmp: Path
    prepared_db: str
    created_dbs: list[str]

    def env(self, stack: Stack, **extra: str) -> dict[str, str]:
        return {
            **self.base_env,
            "INFRANAUT_LAKE_URL": stack.lake_url,
            "INFRANAUT_WAREHOUSE_URL": stack.warehouse_url,
            **extra,
        }

    def worker_env(self, stack: Stack, **extra: str) -> dict[str, str]:
        """A worker's environment: this process's (AWS_* for moto) plus the stack's, venv bin on PATH
        (`dagster-celery worker start` spawns `celery`), as with an activated venv in production."""
        env = dict(os.environ)
        for k, v in self.env(stack, **extra).items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = v
        env["PATH"] = f"{os.path.dirname(sys.executable)}{os.pathsep}{env.get('PATH', '')}"
        return env

    def new_stack(self, name: str) -> Stack:
        """A fresh clone of the prepared reference state (lake prefix + warehouse database)."""
        copy_prefix(self.s3_client, self.bucket, "prepared/", f"{name}/")
        db = create_database(self.pg_url, f"wh_{name}", template=self.prepared_db)
        self.created_dbs.append(db)
        return Stack(f"s3://{self.bucket}/{name}", db_url(self.pg_url, db), db)


def copy_prefix(client, bucket: str, src: str, dst: str) -> int:  # type: ignore[no-untyped-def]
    n = 0
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=src):
        for obj in page.get("Contents", []):
            client.copy_object(Bucket=bucket, Key=dst + obj["Key"][len(src):], CopySource={"Bucket": bucket, "Key": obj["Key"]})
            n += 1
    return n


def partition(day: dt.date) -> dg.MultiPartitionKey:
    return dg.MultiPartitionKey({"date": day.isoformat(), "model": MODEL})


@pytest.fixture(scope="session")
def rabbitmq() -> str:
    require_service("RabbitMQ", "127.0.0.1", 5672)
    return RABBIT_URL


@pytest.fixture(scope="session")
def redis_broker() -> str:
    require_service("Redis", "127.0.0.1", 6379)
    return REDIS_URL


@pytest.fixture(scope="session")
def prod(pg_url: str, rabbitmq: str, s3_server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prod]:  # noqa: F811
    from sqlalchemy.engine import make_url

    from infranaut_pipelines.definitions import build_definitions
    from infranaut_pipelines.demo import write_demo_drops
    from infranaut_pipelines.demo.pipeline import REPORT_ASSETS
    from infranaut_pipelines.jobs import INFERENCE_PIPELINE
    from infranaut_pipelines.partitions import MODEL_PARTITIONS_NAME
    from infranaut_pipelines.registry import load_registry
    from infranaut_pipelines.storage import open_store

    tmp = tmp_path_factory.mktemp("production")
    bucket = s3_server.create_bucket()
    s3_server.client().create_bucket(Bucket=f"{bucket.name}-logs")
    home = tmp / "dagster_home"
    home.mkdir()
    shutil.copy(PRODUCTION_YAML, home / "dagster.yaml")  # the production file itself, unchanged
    u = make_url(pg_url)
    created: list[str] = []
    base_env = {
        "DAGSTER_HOME": str(home),
        "DAGSTER_PG_HOST": u.host or "127.0.0.1",
        "DAGSTER_PG_PORT": str(u.port or 5432),
        "DAGSTER_PG_USER": u.username or "postgres",
        "DAGSTER_PG_PASSWORD": u.password or "",
        "DAGSTER_PG_DB": u.database or "",
        "INFRANAUT_MAX_CONCURRENT_RUNS": "4",
        "INFRANAUT_COMPUTE_LOG_BUCKET": f"{bucket.name}-logs",
        "INFRANAUT_LANDING_URL": f"s3://{bucket.name}/landing",
        "INFRANAUT_EXECUTOR": "celery",
        "INFRANAUT_CELERY_BROKER": rabbitmq,
        "INFRANAUT_CELERY_BACKEND": "rpc://",
        # A queue of our own: other sessions (other checkouts, CI jobs) may use the same RabbitMQ.
        "INFRANAUT_CELERY_QUEUE": f"infranaut-test-{uuid.uuid4().hex[:10]}",
        "INFRANAUT_DATA_DIR": str(tmp / "data"),
        "SLACK_BOT_TOKEN": None,  # type: ignore[dict-item]
        "SLACK_WEBHOOK_URL": None,  # type: ignore[dict-item]
    }
    try:
        prepared_db = create_database(pg_url, "wh_prepared")
        created.append(prepared_db)
        prepared = Stack(f"s3://{bucket.name}/prepared", db_url(pg_url, prepared_db), prepared_db)
        p = Prod(pg_url, bucket.name, bucket.client, base_env["INFRANAUT_LANDING_URL"], home, u.database or "",
                 prepared, prepared, dict(base_env), tmp, prepared_db, created)
        t0 = time.monotonic()
        with patched_env(p.env(prepared, INFRANAUT_EXECUTOR="in_process")):
            registry = load_registry()
            write_demo_drops(open_store(p.landing_url), registry, start=START, days=DAYS, rows_per_day=ROWS, models=[MODEL])
            print(f"drops {time.monotonic() - t0:.1f}s")
            defs = build_definitions()
            graph = defs.resolve_asset_graph()
            up_to_features = list((INFERENCE_PIPELINE - REPORT_ASSETS).resolve(graph))
            with dg.instance_for_test() as instance:
                instance.add_dynamic_partitions(MODEL_PARTITIONS_NAME, [MODEL])
                r = defs.resolve_job_def("inference_pipeline_job").execute_in_process(
                    instance=instance, partition_key=str(partition(START)), asset_selection=up_to_features
                )
                assert r.success
                print(f"prep day0 {time.monotonic() - t0:.1f}s")
                r = defs.resolve_job_def("update_baseline_job").execute_in_process(
                    instance=instance, partition_key=MODEL,
                    run_config={"ops": {"drift_baseline": {"config": {"start": START.isoformat(), "end": START.isoformat()}}}},
                )
                assert r.success
        p.reference = p.new_stack("reference")
        p.celery = p.new_stack("celery")
        yield p
    finally:
        delete_queue(rabbitmq, base_env["INFRANAUT_CELERY_QUEUE"])
        for name in created:
            drop_database(pg_url, name)


@pytest.fixture(scope="session")
def reference(prod: Prod):  # type: ignore[no-untyped-def]
    """The target partition run in process (the embedded default's executor) on the reference stack."""
    from infranaut_pipelines.definitions import build_definitions
    from infranaut_pipelines.partitions import MODEL_PARTITIONS_NAME

    from .outputs import read_outputs

    with patched_env(prod.env(prod.reference, INFRANAUT_EXECUTOR="in_process")):
        defs = build_definitions()
        with dg.instance_for_test() as instance:
            instance.add_dynamic_partitions(MODEL_PARTITIONS_NAME, [MODEL])
            r = defs.resolve_job_def("inference_pipeline_job").execute_in_process(instance=instance, partition_key=str(partition(TARGET_DAY)))
            assert r.success
    return read_outputs(prod.reference.lake_url, prod.reference.warehouse_url, MODEL, TARGET_DAY)
