"""The Dagster side: NotifierResource configured from the environment delivers to every configured channel."""

from __future__ import annotations

import json
import logging

import pytest

from infranaut_pipelines.registry import load_registry
from infranaut_pipelines.resources.notify import NotifierResource
from infranaut_pipelines.warehouse import Warehouse
from tests.alerting.own_channels import own_signals
from tests.pagerduty_server import ROUTING_KEY, pagerduty_server  # noqa: F401 - fixture
from tests.smtp_server import smtp_cert, smtp_server  # noqa: F401 - fixtures
from tests.webhook_server import WEBHOOK_SECRET, webhook_server  # noqa: F401 - fixture


def test_resource_from_env_pages_mails_and_posts_and_keeps_slack_rows(channel_env, pagerduty_server, smtp_server,
                                                                      webhook_server):
    NotifierResource.validate_env()  # every route has its settings
    declared = NotifierResource.from_env()
    # Secrets are EnvVar references in the resource's config (shown in the UI as names, not values).
    assert ROUTING_KEY not in repr(declared) and smtp_server.password not in repr(declared)
    notifier = declared.process_config_and_initialize()
    warehouse = Warehouse(f"duckdb:///{channel_env / 'warehouse.duckdb'}")
    slow_and_drifting = own_signals(latency_p95_ms=400.0, feature_drift={"monthly_spend": 2.5},
                                    drifted_features=["monthly_spend"])
    summary, delivery = notifier.record_and_deliver(warehouse, load_registry(), slow_and_drifting,
                                                    logging.getLogger("test"))
    assert len(summary.fired) == 2 and delivery is not None
    assert list(pagerduty_server.incidents.values()) == ["triggered"]
    assert len(smtp_server.received) == 1 and smtp_server.received[0].tls
    assert len(webhook_server.deliveries) == 1 and webhook_server.deliveries[0].signature_ok
    # Slack is not configured: its two messages wait in the outbox, nothing is lost.
    assert delivery.not_configured == {"slack": 2} and delivery.pending == 2


def test_validate_env_fails_at_load_for_a_route_without_its_settings(channel_env, monkeypatch):
    monkeypatch.delenv("INFRANAUT_PAGERDUTY_ROUTING_KEY")
    with pytest.raises(ValueError, match=r"rules.yaml: every model, routes.critical: channel 'pagerduty' cannot be "
                                         r"delivered: INFRANAUT_PAGERDUTY_ROUTING_KEY is not set"):
        NotifierResource.validate_env()


def test_a_malformed_webhook_url_fails_at_load_and_does_not_stop_the_other_channels(channel_env, monkeypatch,
                                                                                    pagerduty_server, webhook_server):
    monkeypatch.setenv("INFRANAUT_ALERT_WEBHOOK_URL", "ftp://hooks.acme.test/token-123")
    with pytest.raises(ValueError, match="webhook: alert webhook URL") as err:
        NotifierResource.validate_env()
    assert "token-123" not in str(err.value)
    notifier = NotifierResource.from_env().process_config_and_initialize()
    warehouse = Warehouse(f"duckdb:///{channel_env / 'warehouse.duckdb'}")
    _, delivery = notifier.record_and_deliver(warehouse, load_registry(), own_signals(latency_p95_ms=400.0),
                                              logging.getLogger("test"))
    assert list(pagerduty_server.incidents.values()) == ["triggered"] and webhook_server.requests == []
    assert delivery is not None and delivery.not_configured == {"slack": 1}


def test_the_alerts_asset_pages_pagerduty_through_the_outbox(channel_env, pagerduty_server, smtp_server,
                                                              webhook_server):
    """Through the real ``alerts`` asset: yesterday's partition (live, not historic) over its latency SLA."""
    import datetime as dt

    import dagster as dg
    import sqlalchemy as sa
    from dagster_aws.s3 import S3Resource

    from infranaut_pipelines.assets.alerting import alerts
    from infranaut_pipelines.partitions import MODEL_PARTITIONS_NAME, partition_key
    from infranaut_pipelines.resources.storage import InfranautSettings, ObjectStoreResource, WarehouseResource
    from tests.support.own_model import MODEL

    day = dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=1)
    url = f"duckdb:///{channel_env / 'wh.duckdb'}"
    with Warehouse(url).engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE daily_model_metrics (model_id VARCHAR, partition_date DATE, "
                             "latency_p95_ms DOUBLE, error_rate DOUBLE)"))
        conn.execute(sa.text("INSERT INTO daily_model_metrics VALUES (:m, :d, 400.0, 0.001)"), {"m": MODEL, "d": day})
    resources = {
        "lake": ObjectStoreResource(url=(channel_env / "lake").as_uri(), s3=S3Resource()),
        "warehouse": WarehouseResource(url=url),
        "settings": InfranautSettings(registry_path=str(channel_env / "models.yaml")),
        "notifier": NotifierResource.from_env(),
    }
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(MODEL_PARTITIONS_NAME, [MODEL])
        result = dg.materialize([alerts], instance=instance, resources=resources,
                                partition_key=str(partition_key(day, MODEL)))
    assert result.success
    first = result.asset_materializations_for_node("alerts")[0].metadata
    assert first["historic_partition"].value is False
    assert [e["event_action"] for e in pagerduty_server.events] == ["trigger"]
    assert pagerduty_server.events[0]["payload"]["custom_details"]["partition_date"] == str(day)
    assert smtp_server.received == [] and webhook_server.deliveries == []  # critical: PagerDuty + Slack only
    assert json.loads(first["slack"].value)["not_configured"] == {"slack": 1}  # Slack unset: waits in the outbox
