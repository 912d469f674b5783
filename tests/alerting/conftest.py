"""Fixtures for the alerting tests: the demo registry, rules, and an AlertStore on DuckDB or PostgreSQL."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from infranaut_pipelines.alerting import AlertStore, RuleSet, Signals, load_rules
from infranaut_pipelines.registry import Registry, load_registry
from infranaut_pipelines.warehouse import Warehouse
from tests.alerting.own_channels import RULES_YAML
from tests.pagerduty_server import ROUTING_KEY, pagerduty_server  # noqa: F401 - re-exported fixture
from tests.slack_server import slack_server  # noqa: F401 - re-exported fixture
from tests.smtp_server import smtp_cert, smtp_server  # noqa: F401 - re-exported fixtures
from tests.support.own_model import REGISTRY_YAML
from tests.webhook_server import WEBHOOK_SECRET, webhook_server  # noqa: F401 - re-exported fixture

NOW = dt.datetime(2026, 11, 5, 6, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="session")
def registry() -> Registry:
    return load_registry()


@pytest.fixture(scope="session")
def rules(registry: Registry) -> RuleSet:
    return load_rules(None, registry)


@pytest.fixture
def duckdb_store(tmp_path) -> AlertStore:
    return AlertStore(Warehouse(f"duckdb:///{tmp_path / 'alerts.duckdb'}"))


@pytest.fixture
def pg_store(pg_url: str) -> Iterator[AlertStore]:
    """A fresh PostgreSQL schema per test inside the session's throwaway database."""
    schema = f"alerts_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(pg_url.replace("postgresql://", "postgresql+psycopg2://"))
    with admin.begin() as c:
        c.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in pg_url else "?"
    store = AlertStore(Warehouse(f"{pg_url}{sep}options=-csearch_path%3D{schema}"))
    yield store
    store.engine.dispose()
    with admin.begin() as c:
        c.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["duckdb", "postgresql"])
def store(request) -> AlertStore:
    """The same behaviour is required of both backends."""
    return request.getfixturevalue("duckdb_store" if request.param == "duckdb" else "pg_store")


def signals(day: int = 5, model_id: str = "fraud_detector", **kw) -> Signals:
    """Healthy signals for 2026-11-<day>, evaluated at 06:00 the next morning, with overrides."""
    base = dict(
        model_id=model_id, partition_date=dt.date(2026, 11, day),
        now=dt.datetime(2026, 11, day, 6, 0, tzinfo=dt.timezone.utc) + dt.timedelta(days=1),
        dataset_drift_share=0.0, dataset_drift=False, feature_drift={"amount": 0.3, "device_type": 0.1},
        drifted_features=[], prediction_drift_score=0.01, prediction_drifted=False, quality_score=1.0,
        latency_p95_ms=80.0, error_rate=0.001, sla={"latency_p95_ms": 120, "error_rate": 0.02},
        run_url="https://dagster.example.com/runs/abc", report_url="https://reports.example.com/fraud/2026-11-05.html",
        feature_importance={"amount": 0.5, "device_type": 0.1, "num_tx_24h": 0.3},
    )
    base.update(kw)
    return Signals(**base)


@pytest.fixture
def channel_env(tmp_path, monkeypatch, pagerduty_server, smtp_server, webhook_server):
    """The own model and rules, every channel configured against the local servers (Slack not)."""
    (tmp_path / "models.yaml").write_text(REGISTRY_YAML)
    (tmp_path / "rules.yaml").write_text(RULES_YAML)
    for name in ("SLACK_BOT_TOKEN", "SLACK_WEBHOOK_URL", "INFRANAUT_ALERT_EMAIL_TO"):
        monkeypatch.delenv(name, raising=False)
    env = {
        "INFRANAUT_REGISTRY": str(tmp_path / "models.yaml"), "INFRANAUT_ALERT_RULES": str(tmp_path / "rules.yaml"),
        "INFRANAUT_PAGERDUTY_ROUTING_KEY": ROUTING_KEY, "INFRANAUT_PAGERDUTY_EVENTS_URL": pagerduty_server.events_url,
        "INFRANAUT_SMTP_HOST": "127.0.0.1", "INFRANAUT_SMTP_PORT": str(smtp_server.port),
        "INFRANAUT_SMTP_USER": smtp_server.user, "INFRANAUT_SMTP_PASSWORD": smtp_server.password,
        "INFRANAUT_SMTP_CA_FILE": smtp_server.ca_file, "INFRANAUT_ALERT_EMAIL_FROM": "infranaut@acme.test",
        "INFRANAUT_ALERT_WEBHOOK_URL": webhook_server.url + "/hook", "INFRANAUT_ALERT_WEBHOOK_SECRET": WEBHOOK_SECRET,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return tmp_path
