"""Rule files: defaults, per-model overrides, routing, and errors that name the file, rule and model."""

from __future__ import annotations

import pytest

from infranaut_pipelines.alerting import RULES_ENV_VAR, load_rules, parse_rules

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


def test_per_model_disable_and_explicit_route(registry):
    rs = parse_rules(BASE + """
models:
  fraud_detector:
    disable: [latency_sla]
    rules:
      - {name: amount_drift, metric: feature_drift, operator: ">=", threshold: 3, severity: critical,
         subjects: ["amount"], route: "#payments-oncall"}
""", registry)
    names = [r.name for r in rs.rules_for("fraud_detector")]
    assert names == ["feature_drift", "amount_drift"]
    assert [r.name for r in rs.rules_for("demand_forecaster")] == ["feature_drift", "latency_sla"]
    assert rs.channel("fraud_detector", "critical", rs.rule("fraud_detector", "amount_drift")) == "#payments-oncall"


@pytest.mark.parametrize("text, fragments", [
    (BASE + "models:\n  fraud_detector:\n    rules:\n      - {name: typo, metric: featur_drift, operator: '>', threshold: 1}\n",
     ["model 'fraud_detector'", "rule 'typo'", "unknown metric 'featur_drift'"]),
    (BASE + "models:\n  fraud_detector:\n    rules:\n      - {name: bad_op, metric: quality_score, operator: '=>', threshold: 1}\n",
     ["model 'fraud_detector'", "rule 'bad_op'", "operator"]),
    (BASE + "models:\n  no_such_model:\n    rules: []\n", ["model 'no_such_model' is not in the registry"]),
    ("defaults:\n  - {name: q, metric: quality_score, operator: '<', threshold: sla}\n",
     ["defaults", "rule 'q'", "threshold 'sla' is only allowed"]),
    ("defaults:\n  - {name: q, metric: quality_score, operator: '<', threshold: 0.9, treshold: 1}\n",
     ["rule 'q'", "treshold", "Extra inputs"]),
    (BASE + "models:\n  fraud_detector:\n    rules:\n      - {name: feature_drift, severity: urgent}\n",
     ["model 'fraud_detector'", "rule 'feature_drift'", "severity"]),
    (BASE + "models:\n  fraud_detector:\n    disable: [nope]\n", ["model 'fraud_detector'", "unknown rule 'nope'"]),
    (BASE + "maintenance_windows:\n  - {model: ghost, start: 2026-01-01T00:00:00, end: 2026-01-02T00:00:00}\n",
     ["maintenance window #0", "model 'ghost'"]),
    (BASE + "models:\n  fraud_detector:\n    routes: {critical: 'https://hooks.slack.com/x'}\n", ["is not a '#channel-name'"]),
])
def test_errors_name_file_rule_and_model(registry, tmp_path, text, fragments):
    path = tmp_path / "my_rules.yaml"
    path.write_text(text)
    with pytest.raises(ValueError) as err:
        load_rules(path, registry)
    msg = str(err.value)
    assert str(path) in msg
    for fragment in fragments:
        assert fragment in msg, msg


def test_env_var_selects_the_rules_file(registry, tmp_path, monkeypatch):
    path = tmp_path / "team.yaml"
    path.write_text(BASE)
    monkeypatch.setenv(RULES_ENV_VAR, str(path))
    rs = load_rules(None, registry)
    assert rs.source == str(path) and [r.name for r in rs.defaults] == ["feature_drift", "latency_sla"]
