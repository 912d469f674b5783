"""After `infranaut demo`, `dagster dev` starts idle: the sensors find nothing to queue and nothing stale."""

import datetime as dt

import dagster as dg
import pytest

from infranaut_pipelines.alerting import AlertStore
from infranaut_pipelines.sensors.freshness import live_drop_times

from .conftest import DemoRun

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("demo")]


def _tick(run: DemoRun, name: str) -> dg.SensorResult | dg.SkipReason:
    sensor = run.defs.resolve_sensor_def(name)
    with dg.build_sensor_context(instance=run.instance, cursor=None, resources=run.defs.resources) as ctx:
        return sensor(ctx)


def test_first_landing_tick_after_the_demo_requests_nothing(demo_run: DemoRun) -> None:
    result = _tick(demo_run, "landing_sensor")
    assert isinstance(result, dg.SensorResult) and result.run_requests == []


def test_baseline_sensor_after_the_demo_requests_nothing(demo_run: DemoRun) -> None:
    result = _tick(demo_run, "baseline_sensor")
    assert isinstance(result, dg.SensorResult) and not result.run_requests


def test_demo_days_do_not_trip_freshness(demo_run: DemoRun) -> None:
    landing = demo_run.defs.resources["landing"].get_store()  # type: ignore[union-attr]
    # History uploaded long after its days is not live traffic (the demo's days are fixed in November).
    now = dt.datetime.combine(demo_run.days[-1] + dt.timedelta(days=20), dt.time(), tzinfo=dt.timezone.utc)
    assert live_drop_times(landing, demo_run.registry, now) == {}
    skip = _tick(demo_run, "freshness_sensor")
    assert "stale now: none" in str(skip.skip_message if isinstance(skip, dg.SkipReason) else skip)
    store = AlertStore(demo_run.defs.resources["warehouse"].get_warehouse())  # type: ignore[union-attr]
    assert not [s for m in demo_run.registry.model_ids for s in store.states(m)
                if s["rule"] == "stale_predictions" and s["status"] == "open"]
