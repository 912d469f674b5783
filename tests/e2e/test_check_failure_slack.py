"""A broken drop: blocking checks stop the downstream assets and the failure reaches Slack, escaped.

Runs the real graph for one partition with Slack pointed at the local Slack-compatible server.
"""

import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from infranaut_pipelines.demo import write_demo_drops
from infranaut_pipelines.partitions import MODEL_PARTITIONS_NAME, partition_key
from infranaut_pipelines.registry import load_registry
from tests.slack_server import SlackServer, slack_server  # noqa: F401 - fixture
from tests.support.env import temporary_env

DAY = dt.date(2026, 11, 2)
MODEL = "fraud_detector"


@pytest.fixture
def env(tmp_path: Path, slack_server: SlackServer) -> Iterator[Path]:  # noqa: F811
    values = {
        "INFRANAUT_DATA_DIR": str(tmp_path),
        "SLACK_BOT_TOKEN": slack_server.token,
        "SLACK_API_BASE_URL": slack_server.api_base_url,
        "INFRANAUT_UI_BASE_URL": "http://dagster.example:3000",
    }
    with temporary_env({**values, "SLACK_WEBHOOK_URL": None}):
        yield tmp_path


def _broken_drop(defs: dg.Definitions) -> int:
    """A day whose amounts are out of range in a third of the rows, plus a category carrying markup."""
    registry = load_registry()
    landing = defs.resources["landing"].get_store()  # type: ignore[union-attr]
    manifest = write_demo_drops(landing, registry, start=DAY, days=1, rows_per_day=300, models=[MODEL])
    for key in [k for k in manifest.files if k.startswith(f"inferences/{MODEL}/")]:
        landing.delete_prefix(key)
    frame = pl.DataFrame(
        {
            "prediction_id": [f"p{i}" for i in range(300)],
            "model_id": [MODEL] * 300,
            "model_version": ["1.4.0"] * 300,
            "timestamp": [dt.datetime(2026, 11, 2, 12, tzinfo=dt.timezone.utc)] * 300,
            "amount": [99999.0 if i % 3 == 0 else 25.0 for i in range(300)],
            "merchant_category": ["<!channel> <b>x</b>" if i == 1 else "grocery" for i in range(300)],
            "account_age_days": [100] * 300,
            "num_tx_24h": [2] * 300,
            "distance_from_home_km": [3.0] * 300,
            "is_international": [False] * 300,
            "device_type": ["mobile"] * 300,
            "customer_email": [None] * 300,
            "score": [0.1] * 300,
            "latency_ms": [50.0] * 300,
            "status": ["ok"] * 300,
        }
    )
    buf = io.BytesIO()
    frame.write_parquet(buf)
    landing.write_bytes(f"inferences/{MODEL}/dt={DAY.isoformat()}/broken.parquet", buf.getvalue())
    return 100


def test_blocking_check_stops_downstream_and_posts_to_slack(env: Path, slack_server: SlackServer) -> None:  # noqa: F811
    from infranaut_pipelines.definitions import build_definitions

    defs = build_definitions()
    bad_rows = _broken_drop(defs)
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(MODEL_PARTITIONS_NAME, [MODEL])
        key = str(partition_key(DAY, MODEL))
        result = defs.resolve_job_def("inference_pipeline_job").execute_in_process(
            instance=instance, partition_key=key, raise_on_error=False
        )
        checks = {
            e.asset_check_evaluation_data.check_name: e.asset_check_evaluation_data
            for e in result.all_events
            if e.event_type_value == "ASSET_CHECK_EVALUATION"
        }
        assert checks["values_in_range"].passed is False
        assert checks["rows_accounted_for"].passed is True
        materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
        assert {"raw_inferences", "validated_inferences", "quarantined_inferences"} <= materialized
        # The blocking check kept bad data out of everything downstream.
        assert not materialized & {"model_features", "drift_report", "alerts", "daily_model_metrics"}

    posts = [m for m in slack_server.messages if m.path.endswith("chat.postMessage")]
    assert posts, "no Slack message for the failed checks"
    body = " ".join(str(m.body) for m in posts)
    assert "values_in_range" in body and MODEL in body and DAY.isoformat() in body
    assert f"{bad_rows} of 300 rows" in body
    assert "<!channel>" not in body and "&lt;!channel&gt;" in body.replace("\\u200b", "")
    assert "http://dagster.example:3000/runs/" in body
    # The blocking failure is critical (on-call channel); the warning-level one goes to the team channel.
    assert {m.channel for m in posts} == {"#fraud-oncall", "#fraud-ml-alerts"}
    critical = [m for m in posts if m.channel == "#fraud-oncall"]
    assert "values_in_range" in str(critical[0].body) and "CRITICAL" in critical[0].text.upper()
