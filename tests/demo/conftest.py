"""One demo landing zone per test session (default arguments), shared by the demo tests."""

from __future__ import annotations

import functools
import gzip
import io

import pandas as pd
import pytest

from infranaut_pipelines.demo import DemoManifest, write_demo_drops
from infranaut_pipelines.registry import Registry, load_registry
from infranaut_pipelines.storage.object_store import LocalStore, open_store


@pytest.fixture(scope="session")
def registry() -> Registry:
    return load_registry()


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory, registry: Registry) -> tuple[LocalStore, DemoManifest]:
    store = open_store(str(tmp_path_factory.mktemp("demo-landing")))
    return store, write_demo_drops(store, registry)  # type: ignore[return-value]


@functools.lru_cache(maxsize=256)
def _read_cached(store: LocalStore, key: str) -> pd.DataFrame:
    data = store.read_bytes(key)
    if key.endswith(".parquet"):
        return pd.read_parquet(io.BytesIO(data))
    if key.endswith(".gz"):
        data = gzip.decompress(data)
    if ".csv" in key:
        return pd.read_csv(io.BytesIO(data), dtype={"prediction_id": "string"})
    return pd.read_json(io.BytesIO(data), lines=True, dtype={"prediction_id": "string"})


@pytest.fixture(scope="session")
def read_drop():
    """Read a drop the plain way (pandas); a CSV column with an unparseable cell stays text."""
    return lambda store, key: _read_cached(store, key).copy()
