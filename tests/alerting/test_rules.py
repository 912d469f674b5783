"""Rule files: defaults, per-model overrides, routing, and errors that name the file, rule and model."""

from __future__ import annotations

import pytest

from infranaut_pipelines.alerting import RULES_ENV_VAR, load_rules, parse_rules
from infranaut_pipelines.registry import parse_registry
from tests.support.own_model import MODEL, REGISTRY_YAML

# Two models of the tests' own (none of the demo's): the stranger's model and a regression one.
OWN = parse_registry(REGISTRY_YAML + """  - id: basket_size
    task: regression
    features:
      - {name: items_viewed, type: int}
      - {name: region, type: category}
    prediction: {column: predicted_items}
    alerts:
      slack_channel: "#basket"
      routes: {info: "#basket-info"}
      rules:
        - {name: feature_drift, threshold: 2.0}
        - {name: region_drift, metric: feature_drift, operator: ">=", threshold: 1.5, subjects: ["reg*"],
           severity: info}
      disable: [latency_sla]
""", "own.yaml")

BASE = """
defaults:
  - {name: feature_drift, metric: feature_drift, operator: ">=", threshold: 1.0, severity: warning}
  - {name: latency_sla, metric: latency_p95_ms, operator: ">", threshold: sla, severity: critical}
"""


def test_shipped_rules_load_and_route_by_severity(rules):
    assert {r.name for r in rules.rules_for("fraud_detector")} >= {"dataset_drift", "feature_drift", "latency_sla"}
    assert rules.rule("fraud_detector", "performance_drop").threshold == 0.03  # override of one field
    assert rules.rule("fraud_detector", "performance_drop").severity == "critical"  # the rest inherited
    assert rules.channel("fraud_detector", "warning") == "#fraud-ml-alerts"
    assert rules.channel("fraud_detector", "critical") == "#fraud-oncall"
    assert rules.channel("demand_forecaster", "critical") == "#supply-ml-alerts"  # no critical_channel
    assert rules.channel("demand_forecaster", "info") == "#supply-ml-info"  # per-model route
    assert rules.channel("unknown_model", "warning") == "#ml-monitoring"


def test_shipped_rules_name_no_model_and_load_with_any_registry():
    rs = load_rules(None, OWN)
    assert rs.per_model.keys() == {"basket_size"}  # only the registry's own overrides
    assert rs.rule(MODEL, "performance_below_band").severity == "warning"
    assert rs.rule(MODEL, "performance_drop").severity == "critical"
    assert rs.channel(MODEL, "critical") == "#growth-ml"


def test_registry_overrides_and_routes():
    rs = load_rules(None, OWN, registry_source="own.yaml")
    basket = {r.name: r for r in rs.per_model["basket_size"]}
    assert basket["feature_drift"].threshold == 2.0 and basket["feature_drift"].severity == "warning"
    assert basket["region_drift"].subjects == ["reg*"] and not basket["latency_sla"].enabled
    assert "latency_sla" not in {r.name for r in rs.rules_for("basket_size")}
    assert rs.channel("basket_size", "info") == "#basket-info"


def test_per_model_disable_and_explicit_route():
    rs = parse_rules(BASE + f"""
models:
  {MODEL}:
    disable: [latency_sla]
    rules:
      - {{name: spend_drift, metric: feature_drift, operator: ">=", threshold: 3, severity: critical,
         subjects: ["monthly_spend"], route: "#payments-oncall"}}
""", OWN.model_copy(update={"models": OWN.models[:1]}))
    names = [r.name for r in rs.rules_for(MODEL)]
    assert names == ["feature_drift", "spend_drift"]
    assert rs.channel(MODEL, "critical", rs.rule(MODEL, "spend_drift")) == "#payments-oncall"


@pytest.mark.parametrize("override, fragments", [
    ("{name: spend_drift, metric: feature_drift, operator: '>=', threshold: 3, subjects: ['amount']}",
     ["model 'subscription_churn'", "rule 'spend_drift'", "subject 'amount' matches no", "monthly_spend"]),
    ("{name: performance_drop, threshold: 0.01}",
     ["own.yaml", "field 'alerts.rules'", "rule 'performance_drop'", "does not define"]),
    ("{name: typo, metric: featur_drift, operator: '>', threshold: 1}",
     ["own.yaml", "model 'subscription_churn'", "unknown metric 'featur_drift'"]),
])
def test_registry_override_errors_name_file_model_and_rule(override, fragments):
    text = REGISTRY_YAML.replace('alerts: {slack_channel: "#growth-ml"}',
                                 'alerts: {slack_channel: "#growth-ml", rules: [' + override + ']}')
    reg = parse_registry(text, "own.yaml")
    with pytest.raises(ValueError) as err:
        parse_rules(BASE, reg, "rules.yaml", registry_source="own.yaml")
    for fragment in fragments:
        assert fragment in str(err.value), str(err.value)


@pytest.mark.parametrize("text, fragments", [
    (BASE + "models:\n  fraud_detector:\n    rules:\n      - {name: typo, metric: featur_drift, operator: '>', threshold: 1}\n",
     [f"model '{MODEL}'", "rule 'typo'", "unknown metric 'featur_drift'"]),
    (BASE + "models:\n  fraud_detector:\n    rules:\n      - {name: bad_op, metric: quality_score, operator: '=>', threshold: 1}\n",
     [f"model '{MODEL}'", "rule 'bad_op'", "operator"]),
    (BASE + "models:\n  no_such_model:\n    rules: []\n", ["model 'no_such_model' is not in the registry"]),
    ("defaults:\n  - {name: q, metric: quality_score, operator: '<', threshold: sla}\n",
     ["defaults", "rule 'q'", "threshold 'sla' is only allowed"]),
    ("defaults:\n  - {name: q, metric: quality_score, operator: '<', threshold: 0.9, treshold: 1}\n",
     ["rule 'q'", "treshold", "Extra inputs"]),
    (BASE + "models:\n  fraud_detector:\n    rules:\n      - {name: feature_drift, severity: urgent}\n",
     [f"model '{MODEL}'", "rule 'feature_drift'", "severity"]),
    (BASE + "models:\n  fraud_detector:\n    disable: [nope]\n", [f"model '{MODEL}'", "unknown rule 'nope'"]),
    (BASE + "maintenance_windows:\n  - {model: ghost, start: 2026-01-01T00:00:00, end: 2026-01-02T00:00:00}\n",
     ["maintenance window #0", "model 'ghost'"]),
    (BASE + "models:\n  fraud_detector:\n    routes: {critical: 'https://hooks.slack.com/x'}\n", ["is not a '#channel-name'"]),
])
def test_errors_name_file_rule_and_model(tmp_path, text, fragments):
    path = tmp_path / "my_rules.yaml"
    path.write_text(text.replace("fraud_detector", MODEL))
    with pytest.raises(ValueError) as err:
        load_rules(path, OWN)
    msg = str(err.value)
    assert str(path) in msg
    for fragment in fragments:
        assert fragment in msg, msg


def test_env_var_selects_the_rules_file(tmp_path, monkeypatch):
    path = tmp_path / "team.yaml"
    path.write_text(BASE)
    monkeypatch.setenv(RULES_ENV_VAR, str(path))
    rs = load_rules(None, OWN)
    assert rs.source == str(path) and [r.name for r in rs.defaults] == ["feature_drift", "latency_sla"]
