"""A registry of the tests' own: definitions load with the shipped rules, INFRANAUT_ALERT_RULES works, and
bad input (unknown model in rules, no models, impossible baseline windows) fails naming file, model, field."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from infranaut_pipelines.alerting.rules import default_rules_path
from infranaut_pipelines.registry import RegistryError
from tests.support.env import temporary_env
from tests.support.own_model import MODEL, REGISTRY_YAML, write_registry


def _build(tmp_path: Path, **env: str | None):
    from infranaut_pipelines.definitions import build_definitions

    with temporary_env({"INFRANAUT_DATA_DIR": str(tmp_path / "data"), "INFRANAUT_ALERT_RULES": None, **env}):
        return build_definitions()


def test_own_registry_loads_with_the_shipped_rules_and_with_INFRANAUT_ALERT_RULES(tmp_path: Path) -> None:
    registry = write_registry(tmp_path)
    defs = _build(tmp_path, INFRANAUT_REGISTRY=str(registry))
    assert {s.name for s in defs.sensors} >= {"landing_sensor", "baseline_sensor", "freshness_sensor"}
    # The documented way to use one's own rules, with the shipped file itself and with a file of one's own.
    _build(tmp_path, INFRANAUT_REGISTRY=str(registry), INFRANAUT_ALERT_RULES=str(default_rules_path()))
    own = tmp_path / "rules.yaml"
    own.write_text(f"defaults:\n  - {{name: q, metric: quality_score, operator: '<', threshold: 0.8}}\n"
                   f"models:\n  {MODEL}:\n    rules:\n      - {{name: q, threshold: 0.5}}\n")
    _build(tmp_path, INFRANAUT_REGISTRY=str(registry), INFRANAUT_ALERT_RULES=str(own))


def test_rules_naming_a_model_not_in_the_registry_fail_naming_file_and_model(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("defaults: []\nmodels:\n  fraud_detector: {rules: []}\n")
    with pytest.raises(ValueError) as err:
        _build(tmp_path, INFRANAUT_REGISTRY=str(write_registry(tmp_path)), INFRANAUT_ALERT_RULES=str(rules))
    assert str(rules) in str(err.value) and "model 'fraud_detector' is not in the registry" in str(err.value)


@pytest.mark.parametrize("text, fragments", [
    ("models: []\n", ["declares no models"]),
    (REGISTRY_YAML.replace("{rolling_days: 3}", "{start: 2024-01-01, end: 2024-01-07}"),
     [f"model '{MODEL}'", "field 'drift.baseline'", "ends before the first partition day 2025-01-01"]),
    (REGISTRY_YAML.replace("{rolling_days: 3}", "{start: 2099-01-01, end: 2099-01-07}"),
     [f"model '{MODEL}'", "field 'drift.baseline'", "starts in the future"]),
])
def test_bad_registries_fail_at_load_naming_file_model_and_field(tmp_path: Path, text: str, fragments: list[str]) -> None:
    path = write_registry(tmp_path, text)
    with pytest.raises(RegistryError) as err:
        _build(tmp_path, INFRANAUT_REGISTRY=str(path), INFRANAUT_PARTITIONS_START=None)
    assert str(path) in str(err.value)
    for fragment in fragments:
        assert fragment in str(err.value), str(err.value)


def _check(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("INFRANAUT_", "SLACK_"))} | env
    return subprocess.run([sys.executable, "-m", "infranaut_pipelines.cli", "check", *args],
                          capture_output=True, text=True, env=full, timeout=180)


def test_infranaut_check_lists_every_problem_and_never_prints_secrets(tmp_path: Path) -> None:
    good = write_registry(tmp_path)
    secret = "xoxb-not-a-real-token-but-secret"
    ok = _check({"INFRANAUT_REGISTRY": str(good), "SLACK_BOT_TOKEN": secret,
                 "INFRANAUT_WAREHOUSE_URL": "postgresql://infranaut:hunter2@db:5432/wh"})
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert f"models: {MODEL}" in ok.stdout and "ok:" in ok.stdout
    assert secret not in ok.stdout and "hunter2" not in ok.stdout
    assert "SLACK_BOT_TOKEN = set (hidden)" in ok.stdout and "postgresql://infranaut:***@db:5432/wh" in ok.stdout

    bad = tmp_path / "bad" / "models.yaml"
    bad.parent.mkdir()
    bad.write_text(REGISTRY_YAML.replace("{rolling_days: 3}", "{start: 2024-01-01, end: 2024-01-07}")
                   .replace('alerts: {slack_channel: "#growth-ml"}',
                            'alerts: {slack_channel: "#growth-ml", rules: [{name: nope, threshold: 1}]}'))
    rules = tmp_path / "rules.yaml"
    rules.write_text("defaults: []\nmodels:\n  ghost: {}\n")
    out = _check({"SLACK_WEBHOOK_URL": "not a url"}, "--registry", str(bad), "--rules", str(rules))
    assert out.returncode == 1 and "Traceback" not in out.stdout + out.stderr
    assert "2 problem(s)" in out.stdout or "3 problem(s)" in out.stdout, out.stdout
    assert "ends before the first partition day" in out.stdout and "model 'ghost' is not in the registry" in out.stdout
    assert "SLACK_WEBHOOK_URL: Slack webhook URL is malformed" in out.stdout and "not a url" not in out.stdout
