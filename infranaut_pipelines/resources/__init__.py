"""Resources for the whole project, built from the settings (infranaut_pipelines/settings.py).

Unset variables fall back to the embedded default (folders under ``$INFRANAUT_DATA_DIR``, DuckDB);
set ones are passed as ``dg.EnvVar`` so their values (and any secrets in them) are resolved at run time
and never baked into the definitions or shown in the UI.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg
from dagster_aws.s3 import S3Resource

from infranaut_pipelines.resources.io_manager import LakeParquetIOManager
from infranaut_pipelines.resources.notify import NotifierResource
from infranaut_pipelines.resources.storage import InfranautSettings, ObjectStoreResource, WarehouseResource
from infranaut_pipelines.settings import Settings, current


def data_dir() -> Path:
    return current().data_dir


def _env_or(settings: Settings, name: str, value: str) -> Any:
    # A variable set in the environment goes in as dg.EnvVar: resolved at run time, never shown in the UI.
    return dg.EnvVar(name) if settings.is_set(name) else value


def build_resources() -> dict[str, Any]:
    """Called when definitions load (never at import), so the environment of the loading process counts."""
    s = current()
    s3 = S3Resource()
    landing = ObjectStoreResource(url=_env_or(s, "INFRANAUT_LANDING_URL", s.landing_url), s3=s3)
    lake = ObjectStoreResource(url=_env_or(s, "INFRANAUT_LAKE_URL", s.lake_url), s3=s3)
    warehouse = WarehouseResource(url=_env_or(s, "INFRANAUT_WAREHOUSE_URL", s.warehouse_url))
    settings = InfranautSettings(
        ui_base_url=_env_or(s, "INFRANAUT_UI_BASE_URL", s.ui_base_url),
        registry_path=_env_or(s, "INFRANAUT_REGISTRY", s.registry_file),
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
