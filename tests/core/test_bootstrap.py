"""The first-baseline rules (pure): which window, when it is complete, what the sensor does next."""

from __future__ import annotations

import datetime as dt

from infranaut_pipelines.ingest.ledger import already_ingested, read_ledger, write_ledger
from infranaut_pipelines.monitoring.bootstrap import bootstrap_window, next_step
from infranaut_pipelines.registry import parse_registry
from infranaut_pipelines.storage.object_store import ObjectInfo, open_store
from tests.support.own_model import REGISTRY_YAML

D = dt.date(2026, 11, 20)
SPEC = parse_registry(REGISTRY_YAML).models[0]  # rolling_days: 3, label lag 0
PINNED = parse_registry(REGISTRY_YAML.replace("{rolling_days: 3}", "{start: 2026-11-20, end: 2026-11-23}")
                        .replace("lag_days: 0", "lag_days: 2")).models[0]


def days(*offsets: int) -> list[dt.date]:
    return [D + dt.timedelta(days=o) for o in offsets]


def test_rolling_window_starts_with_the_first_day_of_data() -> None:
    assert bootstrap_window(SPEC, [], D) is None
    w = bootstrap_window(SPEC, days(0, 1), D + dt.timedelta(days=1))
    assert (w.start, w.end, w.days_in, w.complete) == (D, D + dt.timedelta(days=2), 2, False)
    assert w.describe() == "window 2026-11-20..2026-11-22, 2 of 3 days in"
    assert bootstrap_window(SPEC, days(0, 1, 2), D + dt.timedelta(days=2)).complete


def test_pinned_window_waits_for_its_labels_and_for_missing_days_until_traffic_moves_on() -> None:
    full = days(0, 1, 2, 3)
    assert not bootstrap_window(PINNED, full, D + dt.timedelta(days=4)).complete  # labels: 2 days after the end
    assert bootstrap_window(PINNED, full, D + dt.timedelta(days=5)).complete
    gap = days(0, 1, 3, 4, 5)
    assert not bootstrap_window(PINNED, gap, D + dt.timedelta(days=9)).complete  # day 2 may still come
    assert bootstrap_window(PINNED, gap + days(6), D + dt.timedelta(days=9)).days_in == 3
    assert bootstrap_window(PINNED, gap + days(6), D + dt.timedelta(days=9)).complete


def test_next_step_builds_then_reports_the_waiting_days() -> None:
    wait = next_step(SPEC, False, days(0), [], D)
    assert wait.build is None and wait.status.startswith("waiting for baseline (window")
    build = next_step(SPEC, False, days(0, 1, 2), days(0, 1), D + dt.timedelta(days=3))
    assert build.build is not None and build.reports == ()
    after = next_step(SPEC, True, [], days(1, 0), D + dt.timedelta(days=3))
    assert after.build is None and after.reports == tuple(days(0, 1))


def test_ledger_knows_which_object_versions_were_ingested(tmp_path) -> None:
    lake = open_store(str(tmp_path))
    now = dt.datetime(2026, 11, 20, tzinfo=dt.timezone.utc)
    a, b = ObjectInfo("inferences/m/dt=2026-11-20/a.csv", 10, "e1", now), ObjectInfo("inferences/m/dt=2026-11-20/b.csv", 5, "e2", now)
    assert read_ledger(lake, "inferences", "m", D) == set()
    write_ledger(lake, "inferences", "m", D, [a, b])
    ledger = read_ledger(lake, "inferences", "m", D)
    assert already_ingested([a], ledger) and already_ingested([a, b], ledger)
    changed = ObjectInfo(a.key, 11, "e3", now)  # a new version of the same file is new
    assert not already_ingested([changed], ledger) and not already_ingested([], ledger)
