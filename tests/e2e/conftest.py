"""One demo run shared by the end-to-end tests: the whole graph, in process, on the embedded default."""

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest

from infranaut_pipelines.demo import DEFAULT_DEMO_START, DemoManifest, write_demo_drops
from infranaut_pipelines.registry import Registry, load_registry
from tests.support.env import temporary_env

E2E_DAYS = 6  # baseline days 0-2, drift from day 5 (the last): enough to see both verdicts
E2E_ROWS = 800


@dataclass
class DemoRun:
    defs: dg.Definitions
    instance: dg.DagsterInstance
    registry: Registry
    manifest: DemoManifest
    days: list[dt.date]
    data_dir: Path
    stats: dict[str, int]


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoRun]:
    from infranaut_pipelines.definitions import build_definitions
    from infranaut_pipelines.demo.pipeline import run_demo_pipeline

    data_dir = tmp_path_factory.mktemp("e2e-data")
    env = {"INFRANAUT_DATA_DIR": str(data_dir), "SLACK_BOT_TOKEN": None, "SLACK_WEBHOOK_URL": None}
    with temporary_env(env):
        defs = build_definitions()
        registry = load_registry()
        landing = defs.resources["landing"].get_store()  # type: ignore[union-attr]
        manifest = write_demo_drops(landing, registry, start=DEFAULT_DEMO_START, days=E2E_DAYS, rows_per_day=E2E_ROWS)
        days = [DEFAULT_DEMO_START + dt.timedelta(days=i) for i in range(E2E_DAYS)]
        with dg.instance_for_test() as instance:
            stats = run_demo_pipeline(defs, instance, registry, days, say=lambda _m: None)
            yield DemoRun(defs, instance, registry, manifest, days, data_dir, stats)
