"""Storage resources: the landing zone and the lake, each a local folder or an S3 bucket by URL."""


import dagster as dg
from dagster_aws.s3 import S3Resource
from pydantic import PrivateAttr

from infranaut_pipelines.registry import Registry, load_registry
from infranaut_pipelines.storage import ObjectStore, open_store
from infranaut_pipelines.warehouse import Warehouse


class ObjectStoreResource(dg.ConfigurableResource):
    """``url`` is ``file:///...`` (embedded default) or ``s3://bucket/prefix`` (production).

    S3 access goes through dagster-aws's ``S3Resource`` so credentials, region and endpoint follow the
    usual AWS configuration (``AWS_ENDPOINT_URL`` points it at MinIO or moto).
    """

    url: str
    s3: S3Resource = S3Resource()
    _store: ObjectStore | None = PrivateAttr(default=None)

    def get_store(self) -> ObjectStore:
        if self._store is None:
            self._store = open_store(self.url, s3_client_factory=self.s3.get_client)
        return self._store


class WarehouseResource(dg.ConfigurableResource):
    """SQLAlchemy URL of the warehouse: ``duckdb:///path`` (default) or ``postgresql://...``."""

    url: str
    _warehouse: Warehouse | None = PrivateAttr(default=None)

    def get_warehouse(self) -> Warehouse:
        if self._warehouse is None:
            self._warehouse = Warehouse(self.url)
        return self._warehouse


class InfranautSettings(dg.ConfigurableResource):
    """Product-level settings that are not storage: links into the UI, the registry in use."""

    ui_base_url: str = "http://127.0.0.1:3000"
    registry_path: str = ""

    def registry(self) -> Registry:
        return load_registry(self.registry_path or None)

    def run_url(self, run_id: str) -> str:
        return f"{self.ui_base_url.rstrip('/')}/runs/{run_id}"
