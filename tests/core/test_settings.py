"""One place for settings: settings.py declares them, the README and `infranaut check` print from it, and no
other module of the package reads the environment for an INFRANAUT_* variable."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from infranaut_pipelines.commands.check import settings_in_effect
from infranaut_pipelines.settings import SETTINGS, SettingsError, load, markdown_table

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "infranaut_pipelines"

# Modules allowed to touch os.environ, and why: settings.py reads; environment.py sets variables for dbt's
# subprocess; check.py prints what is set; cli.py picks DAGSTER_HOME for `infranaut demo`; dbt.py maps the
# warehouse URL to the variables dbt's profiles.yml reads; expectations.py turns GX's telemetry off.
ALLOWED = {"settings.py", "environment.py", "commands/check.py", "cli.py", "resources/dbt.py",
           "resources/dbt_state.py", "validation/expectations.py"}
# resources/dbt.py only *sets* variables for dbt; dbt_state.py reads DAGSTER_HOME (Dagster's, not ours).


def test_readme_configuration_table_is_the_generated_one() -> None:
    assert markdown_table() in (ROOT / "README.md").read_text(), (
        "README's configuration table differs from settings.py: paste `python -m infranaut_pipelines.settings`"
    )


def test_check_prints_every_declared_setting_and_hides_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-very-secret")
    monkeypatch.setenv("INFRANAUT_LANDNG_URL", "file:///typo")  # misspelt: shown as not a setting
    monkeypatch.setenv("INFRANAUT_WAREHOUSE_URL", "postgresql://u:hunter2@db/w")
    rows = dict(settings_in_effect())
    assert [s.name for s in SETTINGS] == [n for n in rows if n in {s.name for s in SETTINGS}]
    assert rows["SLACK_BOT_TOKEN"] == "set (hidden)"
    assert rows["INFRANAUT_WAREHOUSE_URL"] == "postgresql://u:***@db/w"
    assert "not a setting" in rows["INFRANAUT_LANDNG_URL"]
    assert "xoxb-very-secret" not in repr(rows) and "hunter2" not in repr(rows)


def test_load_types_and_defaults(tmp_path: Path) -> None:
    s = load({"INFRANAUT_DATA_DIR": str(tmp_path), "INFRANAUT_LANDING_INTERVAL_S": "5"})
    assert s.landing_url == (tmp_path / "landing").as_uri()
    assert s.warehouse_url == f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    assert s.landing_interval_s == 5 and s.partitions_start == dt.date(2025, 1, 1)
    assert s.is_set("INFRANAUT_DATA_DIR") and not s.is_set("INFRANAUT_LAKE_URL")


@pytest.mark.parametrize(("env", "message"), [
    ({"INFRANAUT_LANDING_INTERVAL_S": "often"}, "INFRANAUT_LANDING_INTERVAL_S must be a whole number, got 'often'"),
    ({"INFRANAUT_LANDING_INTERVAL_S": "0"}, "INFRANAUT_LANDING_INTERVAL_S must be at least 1"),
    ({"INFRANAUT_EXECUTOR": "threads"}, "INFRANAUT_EXECUTOR='threads': expected in_process or multiprocess or celery"),
    ({"INFRANAUT_PARTITIONS_START": "15/09/2026"}, "INFRANAUT_PARTITIONS_START must be a date like 2026-11-01"),
])
def test_bad_values_name_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=re.escape(message)):
        load(env)


def test_no_module_reads_the_environment_on_its_own() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel in ALLOWED:
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"os\.environ|os\.getenv", line):
                offenders.append(f"{rel}:{n}: {line.strip()}")
    assert not offenders, "read settings through infranaut_pipelines/settings.py:\n" + "\n".join(offenders)
