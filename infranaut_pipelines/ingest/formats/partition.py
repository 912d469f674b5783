"""Read one (kind, model, day) partition of a serving-log model from the landing store into raw-contract frames.

Plain code over an :class:`ObjectStore` (no Dagster): the ingestion asset calls :func:`read_partition` and
reports what it returns. Objects are the ones :func:`layout.locate` maps to this partition, so the ingestion
reads exactly what the landing sensor requested; keys off the layout were already rejected by the sensor.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import polars as pl

from infranaut_pipelines.ingest.contract import BadDropKey, DropKind
from infranaut_pipelines.ingest.formats.decode import Fetched, decode_partition
from infranaut_pipelines.ingest.formats.layout import listing_prefixes, locate
from infranaut_pipelines.ingest.readers import read_records
from infranaut_pipelines.ingest.rejections import Rejection
from infranaut_pipelines.registry.schema import ModelSpec, Registry
from infranaut_pipelines.storage.object_store import ObjectInfo, ObjectStore, UnsafeKeyError

_SHOWN_WAITING = 20


@dataclass
class PartitionRead:
    frames: list[pl.DataFrame] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    listed: list[ObjectInfo] = field(default_factory=list)  # every object of the partition (for the ledger)
    rejections: list[Rejection] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)  # shown in the materialization's metadata


def read_partition(
    store: ObjectStore, registry: Registry, spec: ModelSpec, kind: DropKind, day: dt.date, now: dt.datetime
) -> PartitionRead:
    out = PartitionRead()
    fetched: list[Fetched] = []

    def reject(obj_key: str, reason: str, token: str) -> None:
        out.rejections.append(Rejection(obj_key, reason, "ingestion", token, spec.id, day.isoformat()))

    for prefix in listing_prefixes(spec, kind, day):
        for obj in store.list(prefix):
            try:
                where = locate(obj.key, obj.last_modified, registry)
            except BadDropKey:
                continue  # rejected, with its reason, by the landing sensor
            if where is None or (where.model_id, where.kind, where.date) != (spec.id, kind, day):
                continue
            out.listed.append(obj)
            if obj.problem or obj.size == 0:
                reject(obj.key, obj.problem or "empty (0-byte) object", obj.version_token)
                continue
            try:
                fetched.append(Fetched(obj.key, store.read_bytes(obj.key), obj.last_modified))
            except UnsafeKeyError as exc:  # e.g. a link swapped after listing
                reject(obj.key, str(exc), obj.version_token)
    decoded, rejected = decode_partition(spec, kind, fetched, now)
    tokens = {o.key: o.version_token for o in out.listed}
    for key, reason in rejected.items():
        reject(key, reason, tokens.get(key, ""))
    read = bad = 0
    waiting: list[str] = []
    unavailable: tuple[str, ...] = ()
    for key, d in decoded.items():
        out.frames.append(read_records(d.rows, d.errors, spec, kind, key))
        out.files.append(key)
        read, bad = read + d.read, bad + d.with_errors
        waiting += d.waiting
        unavailable = tuple(dict.fromkeys(unavailable + d.not_available))
    shown = ", ".join(waiting[:_SHOWN_WAITING]) + (" ..." if len(waiting) > _SHOWN_WAITING else "")
    out.notes = {
        "source_format": "sagemaker_ground_truth" if kind == "labels" else spec.source.format,
        "records_read": str(read),
        "records_undecodable": str(bad),
        # Said, not invented: the format does not carry these, so the SLA checks have nothing to measure.
        "not_available": ", ".join(unavailable) or "none",
        "waiting_for_counterpart": shown or "none",
    }
    return out
