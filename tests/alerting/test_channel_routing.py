"""Routing by severity and model to several channels; errors for unknown channels and missing settings."""

from __future__ import annotations

import json

import pytest

from infranaut_pipelines.alerting import deliver_pending, evaluate, evaluate_and_record
from infranaut_pipelines.alerting.channels import channel_problems
from infranaut_pipelines.commands.check import problems
from infranaut_pipelines.notify import SlackSender
from infranaut_pipelines.notify.pagerduty import PagerDutySender
from infranaut_pipelines.registry import RegistryError, parse_registry
from infranaut_pipelines.settings import SETTINGS, SettingsError, load
from tests.alerting.own_channels import RULES_YAML, FakeSleep, own_rules, own_signals
from tests.pagerduty_server import ROUTING_KEY, pagerduty_server  # noqa: F401 - fixture
from tests.support.own_model import REGISTRY_YAML

READY_ENV = {"INFRANAUT_PAGERDUTY_ROUTING_KEY": "k", "INFRANAUT_SMTP_HOST": "smtp.acme.test",
             "INFRANAUT_ALERT_EMAIL_FROM": "infranaut@acme.test", "INFRANAUT_ALERT_WEBHOOK_URL": "https://h.acme.test/x"}


def _channels(rules, **signals_kw) -> dict[str, str]:
    return {f.rule: f.channel for f in evaluate(rules, own_signals(**signals_kw))}


def test_routes_by_severity_and_model_with_lists_and_precedence():
    drift = dict(feature_drift={"monthly_spend": 2.0}, drifted_features=["monthly_spend"], latency_p95_ms=400.0)
    assert _channels(own_rules(), **drift) == {
        "feature_drift": "#growth-ml email:growth-ml@acme.test webhook",  # the model's warning route
        "latency_sla": "#growth-oncall pagerduty",  # the file's route for every model
    }
    # A rule's own route wins; a list with duplicates and ", " in an address list is one canonical route.
    text = RULES_YAML.replace(
        '{name: latency_sla, metric: latency_p95_ms, operator: ">", threshold: sla, severity: critical}',
        '{name: latency_sla, metric: latency_p95_ms, operator: ">", threshold: sla, severity: critical, '
        'route: [pagerduty, "email:a@acme.test, b@acme.test", pagerduty]}')
    assert _channels(own_rules(text), **drift)["latency_sla"] == "pagerduty email:a@acme.test,b@acme.test"
    # The registry's alerts.routes (lists too) apply when the rules file says nothing for the model.
    registry = parse_registry(REGISTRY_YAML.replace(
        'alerts: {slack_channel: "#growth-ml"}',
        'alerts: {slack_channel: "#growth-ml", routes: {warning: ["#growth-ml", webhook]}}'), "own.yaml")
    from infranaut_pipelines.alerting import parse_rules

    plain = parse_rules('defaults:\n  - {name: feature_drift, metric: feature_drift, operator: ">=", threshold: 1}\n',
                        registry, "r.yaml", "own.yaml")
    assert {f.channel for f in evaluate(plain, own_signals(**drift))} == {"#growth-ml webhook"}


@pytest.mark.parametrize("where, text", [
    ("rule", RULES_YAML.replace('severity: warning}', 'severity: warning, route: opsgenie}', 1)),
    ("model", RULES_YAML.replace('webhook]', 'opsgenie]')),
    ("file", RULES_YAML.replace('pagerduty]', 'pagerduty, "https://events.pagerduty.com"]')),
    ("address", RULES_YAML.replace('email:growth-ml@acme.test', 'email:<b>@x')),
])
def test_an_unknown_channel_is_a_clear_error_at_load(where, text):
    with pytest.raises(ValueError) as err:
        own_rules(text)
    msg = str(err.value)
    assert msg.startswith("own-rules.yaml") and ("unknown channel" in msg or "not an email address" in msg)
    if where == "rule":
        assert "rule 'feature_drift'" in msg
    if where == "model":
        assert "subscription_churn" in msg and "'opsgenie'" in msg
    with pytest.raises(RegistryError, match=r"model 'subscription_churn', field 'alerts.routes.critical'"):
        parse_registry(REGISTRY_YAML.replace('alerts: {slack_channel: "#growth-ml"}',
                                             'alerts: {routes: {critical: ["#x", opsgenie]}}'), "own.yaml")


def test_a_channel_without_its_settings_is_named_with_file_model_and_route():
    found = channel_problems(own_rules(), load({}))
    assert found == [
        "own-rules.yaml: every model, routes.critical: channel 'pagerduty' cannot be delivered: "
        "INFRANAUT_PAGERDUTY_ROUTING_KEY is not set",
        "own-rules.yaml: model 'subscription_churn', models.routes.warning: channel 'email:growth-ml@acme.test' "
        "cannot be delivered: INFRANAUT_SMTP_HOST, INFRANAUT_ALERT_EMAIL_FROM are not set",
        "own-rules.yaml: model 'subscription_churn', models.routes.warning: channel 'webhook' cannot be "
        "delivered: INFRANAUT_ALERT_WEBHOOK_URL is not set",
    ]
    assert channel_problems(own_rules(), load(READY_ENV)) == []
    # Plain `email` needs default recipients; an explicit address does not.
    plain_email = own_rules(RULES_YAML.replace("email:growth-ml@acme.test", "email"))
    assert any("INFRANAUT_ALERT_EMAIL_TO" in p for p in channel_problems(plain_email, load(READY_ENV)))
    ready = load({**READY_ENV, "INFRANAUT_ALERT_EMAIL_TO": "a@acme.test, b@acme.test"})
    assert channel_problems(plain_email, ready) == [] and ready.alert_email_to == ("a@acme.test", "b@acme.test")


def test_infranaut_check_reports_a_route_without_its_settings(tmp_path, monkeypatch):
    for name in READY_ENV:
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "models.yaml").write_text(REGISTRY_YAML)
    (tmp_path / "rules.yaml").write_text(RULES_YAML)
    found, _, _ = problems(str(tmp_path / "models.yaml"), str(tmp_path / "rules.yaml"))
    assert any("rules.yaml: every model, routes.critical: channel 'pagerduty'" in p for p in found), found
    for name, value in READY_ENV.items():
        monkeypatch.setenv(name, value)
    found, _, _ = problems(str(tmp_path / "models.yaml"), str(tmp_path / "rules.yaml"))
    assert not any("cannot be delivered" in p for p in found), found


def test_channel_settings_are_declared_and_checked():
    secrets = {s.name for s in SETTINGS if s.secret}
    assert {"INFRANAUT_PAGERDUTY_ROUTING_KEY", "INFRANAUT_SMTP_PASSWORD", "INFRANAUT_ALERT_WEBHOOK_URL",
            "INFRANAUT_ALERT_WEBHOOK_SECRET"} <= secrets
    with pytest.raises(SettingsError, match="INFRANAUT_SMTP_PORT"):
        load({"INFRANAUT_SMTP_PORT": "70000"})
    with pytest.raises(SettingsError, match="INFRANAUT_ALERT_EMAIL_TO"):
        load({"INFRANAUT_ALERT_EMAIL_TO": "oncall"})


def test_one_message_fans_out_to_one_row_per_target_without_secrets(duckdb_store):
    rules = own_rules(RULES_YAML.replace('["#growth-oncall", pagerduty]',
                                         '["#growth-oncall", pagerduty, "email:sre@acme.test", webhook]').replace(
        "\nroutes:", '\n  - {name: error_sla, metric: error_rate, operator: ">", threshold: sla, severity: critical}\nroutes:'))
    slow = own_signals(latency_p95_ms=400.0, error_rate=0.2)  # two critical findings, one route
    summary = evaluate_and_record(duckdb_store, rules, slow)
    rows = duckdb_store.outbox()
    assert sorted(summary.outbox_ids) == [r["id"] for r in rows]
    by_channel = {}
    for r in rows:
        by_channel.setdefault(r["channel"], []).append(r)
    # Slack, mail and webhook: one grouped message; PagerDuty: one event per alert (its own incident).
    assert {c: len(v) for c, v in by_channel.items()} == {
        "#growth-oncall": 1, "pagerduty": 2, "email:sre@acme.test": 1, "webhook": 1}
    assert sorted(r["fingerprint"] for r in by_channel["pagerduty"]) == sorted(summary.fired)
    assert all(len(json.loads(r["fingerprints"])) == 2 for c, v in by_channel.items() if c != "pagerduty" for r in v)
    assert "routing_key" not in json.dumps(rows, default=str)


def test_slack_down_does_not_hold_back_pagerduty(duckdb_store, slack_server, pagerduty_server):
    evaluate_and_record(duckdb_store, own_rules(), own_signals(latency_p95_ms=400.0))
    slack_server.down()
    senders = {"slack": SlackSender(token=slack_server.token, base_url=slack_server.api_base_url, timeout=5),
               "pagerduty": PagerDutySender(ROUTING_KEY, pagerduty_server.events_url, timeout=5)}
    summary = deliver_pending(duckdb_store, senders, sleep=FakeSleep(), max_attempts_per_run=2)
    status = {r["channel"]: r["status"] for r in duckdb_store.outbox()}
    assert status == {"#growth-oncall": "pending", "pagerduty": "sent"}
    assert summary.pending == 1 and "Slack unreachable" in (summary.stopped_reason or "")
    assert list(pagerduty_server.incidents.values()) == ["triggered"]


def test_a_bare_slack_channel_name_in_the_registry_still_goes_to_slack(duckdb_store):
    from infranaut_pipelines.alerting import parse_rules

    registry = parse_registry(REGISTRY_YAML.replace('"#growth-ml"', "growth-ml"), "own.yaml")
    rules = parse_rules('defaults:\n  - {name: feature_drift, metric: feature_drift, operator: ">=", threshold: 1}\n',
                        registry, "r.yaml", "own.yaml")
    evaluate_and_record(duckdb_store, rules, own_signals(feature_drift={"plan": 3.0}, drifted_features=["plan"]))
    assert [(r["channel"], "blocks" in json.loads(r["payload"])) for r in duckdb_store.outbox()] == [("growth-ml", True)]
