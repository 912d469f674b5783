"""Object storage (local folder or S3) for the landing zone, the lake and the reports."""

from infranaut_pipelines.storage.object_store import (
    LocalStore,
    ObjectInfo,
    ObjectStore,
    S3Store,
    UnsafeKeyError,
    open_store,
    safe_key,
)

__all__ = ["LocalStore", "ObjectInfo", "ObjectStore", "S3Store", "UnsafeKeyError", "open_store", "safe_key"]
