"""A stranger's model, from first drop to first report, as the README's "Monitor your own model" says.

The registry is the README's own example (read from the README), with no demo model and no labels at all,
and the shipped default rules. Each day's drop goes through the real landing sensor; the runs it requests,
and those of the baseline sensor, are executed the way the daemon would launch them. Nothing may fail:
days before the baseline window completes wait (and say so), the baseline builds itself, every day gets
its report, and a drift injected on the last day is reported and reaches the local Slack server.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from infranaut_pipelines.monitoring.layout import report_html_key
from tests.slack_server import SlackServer, slack_server  # noqa: F401 - fixture
from tests.support.env import temporary_env
from tests.support.own_model import MODEL, REGISTRY_YAML, drop_key, inference_frame, parquet_bytes, stranger_env

README = Path(__file__).resolve().parents[2] / "README.md"
pytestmark = pytest.mark.slow


def readme_registry() -> str:
    """The YAML block of the README's own-model section, exactly as a user would copy it."""
    section = README.read_text().split("## Monitor your own model", 1)[1].split("\n## ", 1)[0]
    return re.search(r"```yaml\n(.*?)```", section, re.S).group(1)  # type: ignore[union-attr]


def test_readme_example_is_the_tests_registry() -> None:
    assert readme_registry() == REGISTRY_YAML


@pytest.fixture
def stranger(tmp_path: Path, slack_server: SlackServer) -> Iterator[Path]:  # noqa: F811
    env = stranger_env(tmp_path, readme_registry(), slack_server.api_base_url, slack_server.token)
    with temporary_env(env):
        yield tmp_path


def _launch(defs: dg.Definitions, instance: dg.DagsterInstance, result: dg.SensorResult) -> list[dg.ExecuteInProcessResult]:
    """What the daemon does with a tick: add the requested partitions, then launch each requested run."""
    for req in result.dynamic_partitions_requests or []:
        instance.add_dynamic_partitions(req.partitions_def_name, list(req.partition_keys))
    out = []
    for req in result.run_requests or []:
        key = req.partition_key if isinstance(req.partition_key, str) else str(req.partition_key)
        out.append(defs.resolve_job_def(req.job_name).execute_in_process(
            instance=instance, partition_key=key, run_config=req.run_config or {}, tags=req.tags,
            raise_on_error=False))
    return out


def _tick(defs: dg.Definitions, instance: dg.DagsterInstance, name: str, cursor: str | None) -> dg.SensorResult:
    sensor = defs.resolve_sensor_def(name)
    with dg.build_sensor_context(instance=instance, cursor=cursor, resources=defs.resources) as ctx:
        result = sensor(ctx)
    return result if isinstance(result, dg.SensorResult) else dg.SensorResult(skip_reason=str(result))


def _status(instance: dg.DagsterInstance, day: dt.date) -> list[str]:
    """Every drift_report materialization of the day, oldest first: its recorded status."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey("drift_report"), asset_partitions=[f"{day.isoformat()}|{MODEL}"]),
        limit=20,
    ).records
    return [r.asset_materialization.metadata["status"].value for r in reversed(records)]  # type: ignore[union-attr]


def test_own_model_from_first_drop_to_reports_and_alerts(stranger: Path, slack_server: SlackServer) -> None:  # noqa: F811
    from infranaut_pipelines.definitions import build_definitions

    today = dt.datetime.now(dt.timezone.utc).date()
    days = [today - dt.timedelta(days=n) for n in range(5, 0, -1)]  # 3 baseline days (rolling_days: 3), 2 after
    defs = build_definitions()
    landing = defs.resources["landing"].get_store()  # type: ignore[union-attr]
    lake = defs.resources["lake"].get_store()  # type: ignore[union-attr]
    runs: list[dg.ExecuteInProcessResult] = []
    cursor = None
    with dg.instance_for_test() as instance:
        for i, day in enumerate(days):
            shift = 2.0 if day == days[-1] else 0.0  # the last day's spend moves by two standard deviations
            landing.write_bytes(drop_key(day), parquet_bytes(inference_frame(day, rows=2000, spend_shift=shift)))
            tick = _tick(defs, instance, "landing_sensor", cursor)
            cursor = tick.cursor
            assert [r.job_name for r in tick.run_requests] == ["inference_pipeline_job"], tick.skip_reason
            runs += _launch(defs, instance, tick)
            runs += _launch(defs, instance, _tick(defs, instance, "baseline_sensor", None))
            if i < 2:  # window still open: the report waits and says for what
                assert _status(instance, day)[-1] == (
                    f"waiting for baseline (window {days[0]}..{days[2]}, {i + 1} of 3 days in)")
        # One more tick after the window completed: the days that waited get their reports, once.
        runs += _launch(defs, instance, _tick(defs, instance, "baseline_sensor", None))
        assert _tick(defs, instance, "baseline_sensor", None).run_requests == []

        failed = [r.run_id for r in runs if not r.success]
        assert not failed, f"runs failed: {failed}"
        assert instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.FAILURE])) == []
        jobs = [r.dagster_run.job_name for r in runs]
        assert jobs.count("update_baseline_job") == 1 and jobs.count("inference_pipeline_job") == 5
        for day in days:
            assert lake.head(report_html_key(MODEL, day)) is not None, f"no report for {day}"
            assert _status(instance, day)[-1] == "reported"
        assert _status(instance, days[0])[0].startswith("waiting for baseline")

        # The drift injected on the last day is in its report and in Slack; the stable days are not drifted.
        last = lake.read_bytes(report_html_key(MODEL, days[-1])).decode()
        assert "monthly_spend" in last
        # No labels at all: the baseline has no performance parts, and the report says so.
        assert "baseline_missing" in last and "0 labelled reference rows (need 20)" in last
        summaries = defs.resources["warehouse"].get_warehouse().query(  # type: ignore[union-attr]
            "SELECT partition_date, column_name, drifted FROM drift_results WHERE role = 'feature' AND drifted")
        assert {(d, c) for d, c, _ in summaries.rows()} == {(days[-1], "monthly_spend")}
        posts = [m for m in slack_server.messages if m.channel == "#growth-ml"]
        fired = [m for m in posts if "monthly_spend" in str(m.body)]
        assert fired and days[-1].isoformat() in str(fired[0].body) and "feature_drift" in str(fired[0].body)
        assert not any("Run failed" in str(m.body) for m in slack_server.messages)

        # A landing sensor starting from scratch (a new cursor) requests nothing that was already ingested.
        fresh = _tick(defs, instance, "landing_sensor", None)
        assert fresh.run_requests == []
