"""One entry point for the ingestion asset: the objects of one partition of a serving-log model -> rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from infranaut_pipelines.ingest.contract import DropKind
from infranaut_pipelines.ingest.formats.inference_table import UnreadableExport, decode_inference_table
from infranaut_pipelines.ingest.formats.kserve import LoggedObject, decode_kserve
from infranaut_pipelines.ingest.formats.layout import hour_of
from infranaut_pipelines.ingest.formats.records import Decoded
from infranaut_pipelines.ingest.formats.sagemaker import decode_capture, decode_ground_truth
from infranaut_pipelines.registry.schema import ModelSpec


@dataclass(frozen=True)
class Fetched:
    key: str
    content: bytes
    last_modified: dt.datetime


def uses_serving_log(spec: ModelSpec, kind: DropKind) -> bool:
    """Whether (kind, model) is read from its serving stack's layout rather than the landing contract."""
    if kind == "labels":
        return spec.source.ground_truth is not None
    return spec.source.format != "infranaut"


def decode_partition(
    spec: ModelSpec, kind: DropKind, objects: list[Fetched], now: dt.datetime
) -> tuple[dict[str, Decoded], dict[str, str]]:
    """Rows per source key (KServe: per joined group, under the request's key) and whole-object rejections."""
    decoded: dict[str, Decoded] = {}
    rejected: dict[str, str] = {}
    if kind == "labels":
        for o in objects:
            decoded[o.key] = decode_ground_truth(o.content, spec, collected_at=hour_of(o.key))
        return decoded, rejected
    fmt = spec.source.format
    if fmt == "kserve":
        grace = dt.timedelta(minutes=spec.source.grace_minutes)
        logged = [LoggedObject(o.key, o.content, o.last_modified) for o in objects]
        joined = decode_kserve(logged, spec, now, grace)
        if objects:
            decoded[spec.source.capture_prefix] = joined
        return decoded, rejected
    for o in objects:
        if fmt == "sagemaker_capture":
            decoded[o.key] = decode_capture(o.content, spec, variant=spec.source.variant or "")
        else:
            try:
                decoded[o.key] = decode_inference_table(o.content, spec, o.key)
            except UnreadableExport as exc:
                rejected[o.key] = str(exc)
    return decoded, rejected
