"""Performance alerts page in normal operation: labels a day late, a drop in them reaches Slack; the same
drop replayed in a Dagster backfill is recorded and sends nothing. A model and registry of the test's own."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from infranaut_pipelines.partitions import MODEL_PARTITIONS_NAME, partition_key
from tests.slack_server import SlackServer, slack_server  # noqa: F401 - fixture
from tests.support.env import temporary_env
from tests.support.own_model import (
    MODEL,
    REGISTRY_YAML,
    drop_key,
    inference_frame,
    label_frame,
    label_key,
    parquet_bytes,
    stranger_env,
)

pytestmark = pytest.mark.slow
LABELLED = REGISTRY_YAML.replace("lag_days: 0", "lag_days: 1")


@pytest.fixture
def env(tmp_path: Path, slack_server: SlackServer) -> Iterator[Path]:  # noqa: F811
    values = stranger_env(tmp_path, LABELLED, slack_server.api_base_url, slack_server.token)
    with temporary_env(values):
        yield tmp_path


def test_late_label_drop_pages_and_the_same_in_a_backfill_does_not(env: Path, slack_server: SlackServer) -> None:  # noqa: F811
    from infranaut_pipelines.definitions import build_definitions

    defs = build_definitions()
    landing = defs.resources["landing"].get_store()  # type: ignore[union-attr]
    wh = defs.resources["warehouse"].get_warehouse()  # type: ignore[union-attr]
    today = dt.datetime.now(dt.timezone.utc).date()
    days = [today - dt.timedelta(days=n) for n in range(6, 1, -1)]  # D1..D3 baseline, D4 live, D5 replayed

    def run(job: str, day: dt.date, **kw: object) -> None:
        result = defs.resolve_job_def(job).execute_in_process(
            instance=instance, partition_key=str(partition_key(day, MODEL)), raise_on_error=False, **kw)  # type: ignore[arg-type]
        assert result.success, f"{job} {day} failed"

    def drop(day: dt.date, noise: float) -> None:
        frame = inference_frame(day, rows=2000)
        landing.write_bytes(drop_key(day), parquet_bytes(frame))
        return frame

    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(MODEL_PARTITIONS_NAME, [MODEL])
        for day in days[:3]:
            frame = drop(day, 0.0)
            landing.write_bytes(label_key(day), parquet_bytes(label_frame(frame)))
            run("inference_pipeline_job", day)
        config = {"ops": {"drift_baseline": {"config": {"start": days[0].isoformat(), "end": days[2].isoformat()}}}}
        result = defs.resolve_job_def("update_baseline_job").execute_in_process(
            instance=instance, partition_key=MODEL, run_config=config)
        assert result.success

        # D4: predictions today, labels tomorrow (the README's normal flow), with a third of them noise.
        frame4 = drop(days[3], 0.0)
        run("inference_pipeline_job", days[3])
        before = len(slack_server.messages)
        landing.write_bytes(label_key(days[3]), parquet_bytes(label_frame(frame4, noise=0.35)))
        run("label_pipeline_job", days[3])
        late = [m for m in slack_server.messages[before:] if days[3].isoformat() in str(m.body)]
        text = " ".join(str(m.body) for m in late)
        assert "performance_below_band" in text and "performance_drop" in text, text
        assert "auc" in text and "below its reference band" in text

        # D5: the same drop, replayed as part of a backfill: recorded, not sent.
        frame5 = drop(days[4], 0.0)
        landing.write_bytes(label_key(days[4]), parquet_bytes(label_frame(frame5, noise=0.35)))
        before = len(slack_server.messages)
        run("inference_pipeline_job", days[4], tags={"dagster/backfill": "bf-test"})
        run("label_pipeline_job", days[4], tags={"dagster/backfill": "bf-test"})
        assert [m for m in slack_server.messages[before:] if days[4].isoformat() in str(m.body)] == []
        events = wh.query("SELECT rule, result FROM alert_events WHERE partition_date = :d", {"d": days[4]})
        assert ("performance_below_band", "fired") in events.rows()
        historic = wh.query("SELECT historic FROM alert_evaluations WHERE partition_date = :d AND source = 'partition'",
                            {"d": days[4]})
        assert historic.rows() == [(True,)]
