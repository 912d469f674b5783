"""The @dbt_assets definition materializing a partition through Dagster, and a dbt failure surfacing."""

from __future__ import annotations

from infranaut_pipelines.assets.aggregation import AGGREGATION_GROUP, aggregation_dbt_assets
from infranaut_pipelines.partitions import partition_key
from tests.dbt import sample_data as sd
from tests.dbt.conftest import Built, materialize, row_counts

MODELS = {"daily_model_metrics", "hourly_model_metrics", "model_metrics"}


def test_asset_graph_shape() -> None:
    specs = {k.to_user_string(): s for k, s in aggregation_dbt_assets.specs_by_key.items()}
    assert set(specs) == MODELS
    assert {s.group_name for s in specs.values()} == {AGGREGATION_GROUP}
    deps = {d.asset_key.to_user_string() for d in specs["daily_model_metrics"].deps}
    assert {"validated_inferences", "validated_labels"} <= deps
    assert {d.asset_key.to_user_string() for d in specs["model_metrics"].deps} == {"daily_model_metrics"}
    columns = specs["daily_model_metrics"].metadata["dagster/column_schema"].columns
    assert any(c.name == "auc" and "rank" in c.description for c in columns)
    assert aggregation_dbt_assets.check_keys, "dbt tests should be asset checks"


def test_materializing_a_partition_builds_it_and_runs_the_checks(duckdb_built: Built) -> None:
    result = duckdb_built.dagster_result
    assert result is not None and result.success
    events = result.get_asset_materialization_events()
    assert {e.asset_key.to_user_string() for e in events} == MODELS
    checks = result.get_asset_check_evaluations()
    assert len(checks) == len(aggregation_dbt_assets.check_keys)
    assert all(c.passed for c in checks), [c.check_name for c in checks if not c.passed]
    assert {e.partition for e in events} == {str(partition_key(sd.DAY, sd.BINARY))}
    assert row_counts(duckdb_built.warehouse, sd.BINARY) == {
        "daily_model_metrics": 1, "hourly_model_metrics": 24, "model_metrics": 17,
    }  # fmt: skip


def test_dbt_compile_error_fails_the_step_with_dbts_message(tmp_path) -> None:
    """An invalid partition value is refused by the models' var validation (a dbt compilation error)."""
    result = materialize(f"duckdb:///{tmp_path / 'wh.duckdb'}", "bad model!")
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    message = failure.step_failure_data.error.message
    assert "Compilation Error" in message and "var 'model_id' must be set" in message

