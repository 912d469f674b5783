"""Resources for the whole project, chosen in ONE place from environment variables.

Unset variables fall back to the embedded default (folders under ``$INFRANAUT_DATA_DIR``, DuckDB);
set ones are passed as ``dg.EnvVar`` so their values (and any secrets in them) are resolved at run time
and never baked into the definitions or shown in the UI.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_aws.s3 import S3Resource

from infranaut_pipelines.resources.io_manager import LakeParquetIOManager
from infranaut_pipelines.resources.notify import NotifierResource
from infranaut_pipelines.resources.storage import InfranautSettings, ObjectStoreResource, WarehouseResource

# name -> (meaning, embedded default); documented in the README's configuration table.
SETTINGS: dict[str, tuple[str, str]] = {
    "INFRANAUT_DATA_DIR": ("base folder of the embedded default", "./data"),
    "INFRANAUT_LANDING_URL": ("where teams drop files (file:// or s3://)", "file://$INFRANAUT_DATA_DIR/landing"),
    "INFRANAUT_LAKE_URL": ("asset data and reports (file:// or s3://)", "file://$INFRANAUT_DATA_DIR/lake"),
    "INFRANAUT_WAREHOUSE_URL": ("SQLAlchemy URL: duckdb:/// or postgresql://", "duckdb:///$INFRANAUT_DATA_DIR/warehouse.duckdb"),
    "INFRANAUT_REGISTRY": ("model registry YAML", "the one shipped in the package"),
    "INFRANAUT_ALERT_RULES": ("alert rules YAML", "the one shipped in the package (names no model)"),
    "INFRANAUT_UI_BASE_URL": ("Dagster UI address used in links", "http://127.0.0.1:3000"),
}


def data_dir() -> Path:
    return Path(os.environ.get("INFRANAUT_DATA_DIR", "data")).expanduser().resolve()


def _env_or(name: str, default: str) -> Any:
    return dg.EnvVar(name) if os.environ.get(name) else default


def build_resources() -> dict[str, Any]:
    """Called when definitions load (never at import), so the environment of the loading process counts."""
    base = data_dir()
    s3 = S3Resource()
    landing = ObjectStoreResource(url=_env_or("INFRANAUT_LANDING_URL", (base / "landing").as_uri()), s3=s3)
    lake = ObjectStoreResource(url=_env_or("INFRANAUT_LAKE_URL", (base / "lake").as_uri()), s3=s3)
    warehouse = WarehouseResource(
        url=_env_or("INFRANAUT_WAREHOUSE_URL", f"duckdb:///{base / 'warehouse.duckdb'}")
    )
    settings = InfranautSettings(
        ui_base_url=_env_or("INFRANAUT_UI_BASE_URL", "http://127.0.0.1:3000"),
        registry_path=_env_or("INFRANAUT_REGISTRY", ""),
    )
    from infranaut_pipelines.resources.dbt import dbt_resource

    return {
        "landing": landing,
        "lake": lake,
        "warehouse": warehouse,
        "settings": settings,
        "io_manager": LakeParquetIOManager(lake=lake),
        "notifier": NotifierResource.from_env(),
        "dbt": dbt_resource(),
    }
