"""The freshness sensor sees a serving-log model's drops in its own layout (SageMaker's hour folders)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from infranaut_pipelines.registry import parse_registry
from infranaut_pipelines.sensors.freshness import live_drop_times
from infranaut_pipelines.storage.object_store import open_store
from tests.formats.fixtures import MODEL, REGISTRY_YAML


def test_capture_drops_count_as_live_traffic(tmp_path: Path) -> None:
    registry = parse_registry(REGISTRY_YAML)
    store = open_store(tmp_path.as_uri())
    now = dt.datetime.now(dt.timezone.utc)
    assert live_drop_times(store, registry, now) == {}
    day = now.date()
    store.write_bytes(f"datacapture/parcel-eta-prod/AllTraffic/{day:%Y/%m/%d}/{now:%H}/capture-1.jsonl", b"{}\n")
    store.write_bytes("datacapture/parcel-eta-prod/AllTraffic/not-a-date/x.jsonl", b"{}\n")  # rejected, not counted
    seen = live_drop_times(store, registry, now)
    assert list(seen) == [MODEL] and abs((seen[MODEL] - now).total_seconds()) < 120


def test_landing_ticks_list_a_capture_model_in_its_own_layout() -> None:
    from infranaut_pipelines.ingest.listing import listing_window, plan_ranges, serving_log_planners

    registry = parse_registry(REGISTRY_YAML)
    now = dt.datetime(2026, 11, 20, 12, tzinfo=dt.timezone.utc)
    ranges = plan_ranges(registry.model_ids, listing_window(now, 2, 1, None), planners=serving_log_planners(registry))
    prefixes = [r.prefix for r in ranges]
    assert "datacapture/parcel-eta-prod/AllTraffic/2026/11/18/" in prefixes
    assert "datacapture/parcel-eta-prod/AllTraffic/2026/11/21/" in prefixes
    assert not any(p.startswith(f"inferences/{MODEL}/") for p in prefixes)
