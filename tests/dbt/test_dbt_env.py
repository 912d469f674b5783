"""The warehouse URL is the only knob: how it maps to the dbt profile's environment."""

from __future__ import annotations

import pytest

from infranaut_pipelines.resources.dbt import dbt_env_for_warehouse


def test_duckdb_url_selects_local_target_with_absolute_path(tmp_path) -> None:
    env = dbt_env_for_warehouse(f"duckdb:///{tmp_path}/wh.duckdb")
    assert env == {"INFRANAUT_DBT_TARGET": "local", "INFRANAUT_DUCKDB_PATH": f"{tmp_path}/wh.duckdb"}


def test_relative_duckdb_path_is_resolved_against_the_current_directory(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert dbt_env_for_warehouse("duckdb:///data/wh.duckdb")["INFRANAUT_DUCKDB_PATH"] == f"{tmp_path}/data/wh.duckdb"


def test_postgres_url_selects_prod_target() -> None:
    env = dbt_env_for_warehouse("postgresql+psycopg2://ml%40team:p%3Ass@db.internal:6543/monitoring?options=-csearch_path%3Dmetrics")
    assert env == {
        "INFRANAUT_DBT_TARGET": "prod",
        "INFRANAUT_PG_HOST": "db.internal",
        "INFRANAUT_PG_PORT": "6543",
        "INFRANAUT_PG_USER": "ml@team",
        "INFRANAUT_PG_PASSWORD": "p:ss",
        "INFRANAUT_PG_DBNAME": "monitoring",
        "INFRANAUT_PG_SCHEMA": "metrics",
    }


def test_postgres_defaults() -> None:
    env = dbt_env_for_warehouse("postgresql://postgres@127.0.0.1/wh")
    assert (env["INFRANAUT_PG_PORT"], env["INFRANAUT_PG_PASSWORD"], env["INFRANAUT_PG_SCHEMA"]) == ("5432", "", "public")


@pytest.mark.parametrize(
    "url", ["duckdb:///:memory:", "duckdb://", "sqlite:///x.db", "postgresql://host:5432/"]
)
def test_unusable_urls_are_refused_with_the_url_in_the_message(url: str) -> None:
    with pytest.raises(ValueError, match="url|URL|DuckDB file|database"):
        dbt_env_for_warehouse(url)
