"""Databricks Model Serving inference tables (an export to parquet) to contract rows.

Columns used: ``databricks_request_id``; ``timestamp_ms`` (epoch ms) or ``request_time`` (timestamp);
``status_code``; ``execution_time_ms`` or ``execution_duration_ms``; ``request`` and ``response`` (the JSON
bodies as text: ``dataframe_records`` / ``dataframe_split`` / ``instances`` / ``inputs`` in,
``predictions`` out); optionally ``request_metadata`` (a map with ``model_version``). These tables log the
HTTP status and the execution time, so latency and status are real values here.
"""

from __future__ import annotations

import io
import json
from typing import Any

import polars as pl

from infranaut_pipelines.ingest.formats.payload import PayloadError, add_instances, instances, predictions, text_value
from infranaut_pipelines.ingest.formats.records import Decoded
from infranaut_pipelines.registry.schema import ModelSpec

REQUIRED = ("databricks_request_id", "status_code", "request", "response")


class UnreadableExport(ValueError):
    """The object is not a parquet inference-table export; the whole file is rejected with this reason."""


def decode_inference_table(content: bytes, spec: ModelSpec, source_key: str = "") -> Decoded:
    try:
        frame = pl.read_parquet(io.BytesIO(content))
    except Exception as exc:  # noqa: BLE001 - any parquet failure is the same answer to the user
        raise UnreadableExport(f"not a readable parquet file: {type(exc).__name__}") from None
    missing = [c for c in REQUIRED if c not in frame.columns]
    if "timestamp_ms" not in frame.columns and "request_time" not in frame.columns:
        missing.append("timestamp_ms or request_time")
    if missing:
        raise UnreadableExport(f"not an inference-table export: column(s) {', '.join(missing)} missing")
    out = Decoded()
    for number, rec in enumerate(frame.iter_rows(named=True), start=1):
        rid = text_value(rec.get("databricks_request_id"))
        ms = rec.get("timestamp_ms")
        when = text_value(ms) if ms is not None else _iso(rec.get("request_time"))
        latency = rec.get("execution_time_ms", rec.get("execution_duration_ms"))
        code = rec.get("status_code")
        ok = code is not None and 200 <= int(code) < 300
        meta = rec.get("request_metadata")
        version = _meta_value(meta, "model_version")
        base = {"prediction_id": rid, "model_id": spec.id, "model_version": version, "timestamp": when,
                "latency_ms": text_value(latency), "status": "ok" if ok else "error"}
        if not rid:
            out.add(base, [f"record: row {number} has no databricks_request_id"])
            continue
        try:
            feats = instances(_json(rec.get("request"), "request"), spec)
            preds = predictions(_json(rec.get("response"), "response"), spec) if ok else [None] * len(feats)
        except PayloadError as exc:
            out.add(base, [f"record: row {number} ({rid}): {exc}"])
            continue
        add_instances(out, base, rid, feats, preds, spec, f"row {number} ({rid})")
    return out


def _json(text: Any, what: str) -> Any:
    if not isinstance(text, str) or not text:
        raise PayloadError(f"{what} is empty")
    try:
        return json.loads(text)
    except ValueError:
        raise PayloadError(f"{what} is not valid JSON") from None


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _meta_value(meta: Any, key: str) -> str | None:
    if isinstance(meta, dict):
        return text_value(meta.get(key))
    if isinstance(meta, list):  # a parquet MAP reads as a list of {key, value} structs
        for item in meta:
            if isinstance(item, dict) and item.get("key") == key:
                return text_value(item.get("value"))
    return None
