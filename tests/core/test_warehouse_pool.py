"""The embedded default runs several runs at once; only the steps that open the warehouse take turns.

DuckDB admits one writer process, so every step that opens the warehouse is in pool ``warehouse``, and the
embedded dagster.yaml limits pools to one step at a time (across runs) instead of allowing one run at a time.
Checked on a real instance built from the repository's dagster.yaml.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from tests.support.env import temporary_env

ROOT = Path(__file__).resolve().parents[2]
WAREHOUSE_POOL = "warehouse"


@pytest.fixture
def embedded_instance(tmp_path: Path) -> Iterator[dg.DagsterInstance]:
    shutil.copy(ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    with temporary_env({"DAGSTER_HOME": str(tmp_path)}):
        instance = dg.DagsterInstance.get()
        try:
            yield instance
        finally:
            instance.dispose()


def test_runs_are_concurrent_but_one_per_model(embedded_instance: dg.DagsterInstance) -> None:
    config = embedded_instance.get_concurrency_config()
    queue = config.run_queue_config
    assert queue is not None and queue.max_concurrent_runs > 1
    per_model = [lim for lim in queue.tag_concurrency_limits if lim["key"] == "dagster/partition/model"]
    assert per_model == [{"key": "dagster/partition/model", "value": {"applyLimitPerUniqueValue": True}, "limit": 1}]
    assert config.pool_config.default_pool_limit == 1
    assert config.pool_config.pool_granularity is not None and config.pool_config.pool_granularity.value == "op"


def test_every_step_that_opens_the_warehouse_is_in_its_pool(tmp_path: Path) -> None:
    from infranaut_pipelines.definitions import build_definitions

    with temporary_env({"INFRANAUT_DATA_DIR": str(tmp_path / "data")}):
        defs = build_definitions()
    graph = defs.resolve_asset_graph()
    users, pools = [], {}
    for assets_def in graph.assets_defs:
        if not assets_def.is_executable:
            continue
        keys = {k for node in [assets_def.node_def] for k in node.required_resource_keys} | set(
            assets_def.required_resource_keys
        )
        if "warehouse" in keys:
            users.append(assets_def.node_def.name)
            pools[assets_def.node_def.name] = assets_def.node_def.pool
    assert len(users) >= 6, users  # ingestion x2, validation x2, dbt, features, drift, alerts
    assert {name: pool for name, pool in pools.items() if pool != WAREHOUSE_POOL} == {}


def test_a_pooled_step_waits_while_another_run_holds_the_warehouse(embedded_instance: dg.DagsterInstance) -> None:
    """Another run's step holds the pool's one slot: a pooled step of a new run waits until it is freed, a step
    outside the pool does not wait. (One process: a thread frees the slot, as the other run's step would.)"""
    started: dict[str, float] = {}

    @dg.asset(pool=WAREHOUSE_POOL)
    def writes_warehouse() -> None:
        started["pooled"] = time.monotonic()

    @dg.asset
    def reads_lake() -> None:
        started["free"] = time.monotonic()

    storage = embedded_instance.event_log_storage
    holder = "another-run"
    storage.initialize_concurrency_limit_to_default(WAREHOUSE_POOL)  # what the first pooled step does
    assert storage.get_concurrency_info(WAREHOUSE_POOL).slot_count == 1
    claim = storage.claim_concurrency_slot(WAREHOUSE_POOL, holder, "its_step")
    assert claim.is_claimed, claim
    begin = time.monotonic()
    assert dg.materialize([reads_lake], instance=embedded_instance).success
    assert started["free"] - begin < 5

    released: list[float] = []

    def release() -> None:
        time.sleep(2.0)
        released.append(time.monotonic())
        storage.free_concurrency_slots_for_run(holder)

    freer = threading.Thread(target=release)
    freer.start()
    try:
        assert dg.materialize([writes_warehouse], instance=embedded_instance).success
    finally:
        freer.join(30)
    assert released and started["pooled"] >= released[0], "the pooled step ran while the slot was held"
