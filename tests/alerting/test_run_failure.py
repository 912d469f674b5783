"""A failed run is an alert like any other: the run_failed rule, the model's routes (PagerDuty here), once per job
and day however often it is retried, and resolved by the next successful run of that job for that day only."""

from __future__ import annotations

import dagster as dg
import pytest

from infranaut_pipelines.alerting import AlertStore
from infranaut_pipelines.registry import load_registry
from infranaut_pipelines.resources.notify import NotifierResource
from infranaut_pipelines.resources.storage import InfranautSettings, WarehouseResource
from infranaut_pipelines.sensors.run_failure import alert_on_run_failure, resolve_run_failure_alerts, run_target
from infranaut_pipelines.warehouse import Warehouse
from tests.alerting.own_channels import RULES_YAML
from tests.support.own_model import MODEL

# The channel tests' routes (critical -> on-call Slack + PagerDuty) plus the rule under test.
RUN_RULES = RULES_YAML.replace("defaults:\n", "defaults:\n  - {name: run_failed, metric: run_failed, operator: \">=\", "
                                             "threshold: 1, severity: critical}\n", 1)
HOSTILE = "drop s3://landing/x.parquet: column <!channel> unreadable *boom*"


@dg.op
def ingest(context) -> None:  # noqa: ANN001 - Dagster reads the annotation, a string here
    if context.run.tags.get("fail") == "yes":
        raise ValueError(HOSTILE + "\nTraceback (most recent call last): ...")


@dg.job
def pipeline_like_job() -> None:
    ingest()


def _tags(day: str, fail: bool) -> dict[str, str]:
    # The tags Dagster puts on a run of one (date, model) partition.
    return {"dagster/partition": f"{day}|{MODEL}", "dagster/partition/date": day, "dagster/partition/model": MODEL,
            "fail": "yes" if fail else "no"}


def _evaluate(instance: dg.DagsterInstance, resources: dict, day: str, fail: bool) -> None:
    result = pipeline_like_job.execute_in_process(instance=instance, tags=_tags(day, fail), raise_on_error=False)
    assert result.success is not fail
    event = result.get_run_failure_event() if fail else result.get_run_success_event()
    context = dg.build_run_status_sensor_context(
        sensor_name="alert_on_run_failure" if fail else "resolve_run_failure_alerts", dagster_instance=instance,
        dagster_run=result.dagster_run, dagster_event=event, resources=resources)
    if fail:
        alert_on_run_failure(context.for_run_failure())
    else:
        resolve_run_failure_alerts(context)


@pytest.fixture
def sensors_env(channel_env):
    (channel_env / "rules.yaml").write_text(RUN_RULES)
    url = f"duckdb:///{channel_env / 'warehouse.duckdb'}"
    resources = {"notifier": NotifierResource.from_env(), "warehouse": WarehouseResource(url=url),
                 "settings": InfranautSettings(ui_base_url="https://dagster.acme.test",
                                               registry_path=str(channel_env / "models.yaml"))}
    return resources, AlertStore(Warehouse(url))


def test_a_failed_run_pages_once_per_day_and_the_next_success_of_that_day_resolves_it(sensors_env, pagerduty_server):
    resources, store = sensors_env
    with dg.instance_for_test() as instance:
        _evaluate(instance, resources, "2026-11-05", fail=True)
        _evaluate(instance, resources, "2026-11-05", fail=True)  # the retry fails again: same alert
        _evaluate(instance, resources, "2026-11-06", fail=True)  # another day: its own alert
        open_ = {s["subject"]: s for s in store.states(MODEL) if s["status"] == "open"}
        assert set(open_) == {"pipeline_like_job 2026-11-05", "pipeline_like_job 2026-11-06"}
        assert all(s["rule"] == "run_failed" and s["severity"] == "critical" for s in open_.values())
        triggers = [e for e in pagerduty_server.events if e["event_action"] == "trigger"]
        assert len(triggers) == 2 and set(pagerduty_server.triggers.values()) == {1}
        summary = triggers[0]["payload"]["summary"]
        # What broke (the step and its error's first line), not the traceback.
        assert "run of pipeline_like_job failed: step ingest: ValueError: drop s3://landing" in summary
        assert "Traceback" not in summary
        # The Slack row of the same alerts waits in the outbox (Slack is not configured here); its text is escaped.
        slack = [r for r in store.outbox() if r["channel"] == "#growth-oncall"]
        assert slack and all("<!channel>" not in str(r["payload"]) for r in slack)

        _evaluate(instance, resources, "2026-11-06", fail=False)  # the 6th succeeds: only its alert clears
        states = {s["subject"]: s["status"] for s in store.states(MODEL)}
        assert states == {"pipeline_like_job 2026-11-05": "open", "pipeline_like_job 2026-11-06": "resolved"}
        assert sorted(pagerduty_server.incidents.values()) == ["resolved", "triggered"]
        before = len(pagerduty_server.requests)
        _evaluate(instance, resources, "2026-11-07", fail=False)  # nothing open for that day: nothing sent
        assert len(pagerduty_server.requests) == before


def test_runs_without_a_registered_model_are_recorded_under_pipeline() -> None:
    registry = load_registry()
    assert run_target({}, registry) == ("pipeline", None)
    assert run_target({"dagster/partition": "2026-11-05|nobody"}, registry)[0] == "pipeline"
    model = registry.model_ids[0]
    assert run_target({"dagster/partition": f"2026-11-05|{model}"}, registry)[1].isoformat() == "2026-11-05"
