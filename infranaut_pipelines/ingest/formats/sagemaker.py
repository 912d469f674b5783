"""SageMaker data capture and ground-truth JSONL to contract rows.

Capture record (one per line, as the endpoint writes them)::

    {"captureData": {"endpointInput":  {"observedContentType": "text/csv", "mode": "INPUT",
                                        "data": "1,2.5,a\\n", "encoding": "CSV"},
                     "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT",
                                        "data": "0.02", "encoding": "CSV"}},
     "eventMetadata": {"eventId": "...", "inferenceId": "...", "inferenceTime": "2022-02-14T17:25:49Z"},
     "eventVersion": "0"}

``encoding`` is ``CSV``, ``JSON`` or ``BASE64`` (the bytes of a body of ``observedContentType``). Either
half is absent when the endpoint captures only ``Input`` or only ``Output``. The row's ``prediction_id`` is
``inferenceId`` when the caller set one, else ``eventId``: the key Model Monitor merges ground truth on,
so ground truth written for Model Monitor joins here unchanged. A request carrying several instances gives
one row per instance, keyed ``<id>#<n>`` (n from 0).
Capture has no latency: it stays null and is reported as not available, never invented. Status is ``ok``
when the record holds the endpoint's response (capture records what the endpoint returned); an Input-only
record has no status, so validation quarantines it ("status: null"): capture ``Output`` too.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from typing import Any

from infranaut_pipelines.ingest.formats.payload import PayloadError, instances, parse_body, predictions, text_value
from infranaut_pipelines.ingest.formats.records import Decoded, shorten
from infranaut_pipelines.registry.schema import ModelSpec

NOT_IN_CAPTURE = ("latency_ms",)


def _body(part: dict[str, Any], what: str) -> Any:
    """The parsed body of endpointInput / endpointOutput / groundTruthData."""
    if not isinstance(part, dict):
        raise PayloadError(f"{what} is not an object")
    data, encoding = part.get("data"), str(part.get("encoding") or "").upper()
    if not isinstance(data, str):
        raise PayloadError(f"{what}.data is missing")
    ctype = str(part.get("observedContentType") or "")
    if encoding == "BASE64":
        try:
            data = base64.b64decode(data, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            raise PayloadError(f"{what}.data is not decodable base64 (or not UTF-8 text): {shorten(data, 40)!r}") from None
    elif encoding == "CSV":
        ctype = ctype if "csv" in ctype.lower() else "text/csv"
    elif encoding == "JSON":
        ctype = ctype if "json" in ctype.lower() else "application/json"
    else:
        raise PayloadError(f"{what}.encoding {shorten(encoding, 20)!r} is not CSV, JSON or BASE64")
    return parse_body(data, ctype)


def decode_capture(content: bytes, spec: ModelSpec, variant: str | None = None) -> Decoded:
    """Every line of one capture file as rows (bad lines become rows carrying their reason).

    ``model_version`` is the production variant (default: the registry's), the version SageMaker routes to.
    """
    variant = variant or spec.source.variant
    out = Decoded(not_available=NOT_IN_CAPTURE)
    for where, record in _records(content, out):
        if not isinstance(record, dict):
            out.add({}, [f"record: {where} is a JSON {type(record).__name__}, not a capture record"])
            continue
        meta = record.get("eventMetadata") if isinstance(record.get("eventMetadata"), dict) else {}
        event_id, inference_id = meta.get("eventId"), meta.get("inferenceId")
        key = text_value(inference_id) or text_value(event_id)
        base = {"model_id": spec.id, "model_version": variant or None, "timestamp": text_value(meta.get("inferenceTime")),
                "latency_ms": None, "status": None}
        if event_id in (None, ""):
            out.add({**base, "prediction_id": text_value(inference_id)}, [f"record: {where} has no eventMetadata.eventId"])
            continue
        capture = record.get("captureData") if isinstance(record.get("captureData"), dict) else {}
        try:
            feats = instances(_body(capture["endpointInput"], "endpointInput"), spec) if "endpointInput" in capture else None
            preds = predictions(_body(capture["endpointOutput"], "endpointOutput"), spec) if "endpointOutput" in capture else None
        except PayloadError as exc:
            out.add({**base, "prediction_id": key}, [f"record: {where} ({key}): {exc}"])
            continue
        base["status"] = "ok" if preds is not None else None
        if feats is None and preds is None:
            out.add({**base, "prediction_id": key}, [f"record: {where} ({key}) has neither endpointInput nor endpointOutput"])
            continue
        n = len(feats) if feats is not None else len(preds or [])
        if feats is not None and preds is not None and len(preds) != n:
            out.add({**base, "prediction_id": key},
                    [f"record: {where} ({key}): {n} instance(s) in the request but {len(preds)} prediction(s)"])
            continue
        for i in range(n):
            row = {**base, "prediction_id": key if n == 1 else f"{key}#{i}"}
            row.update({f: text_value(v) for f, v in (feats[i] if feats is not None else {}).items()})
            row[spec.prediction.column] = text_value(preds[i]) if preds is not None else None
            out.add(row)
    return out


def decode_ground_truth(content: bytes, spec: ModelSpec, collected_at: str | None = None) -> Decoded:
    """Ground-truth records (``groundTruthData.data`` is the label) as label rows keyed like the capture rows."""
    out = Decoded()
    for where, record in _records(content, out):
        meta = record.get("eventMetadata") if isinstance(record, dict) and isinstance(record.get("eventMetadata"), dict) else {}
        # Model Monitor's ground truth carries the capture's inferenceId (when the caller set one) in eventId.
        key = text_value(meta.get("inferenceId")) or text_value(meta.get("eventId"))
        row = {"prediction_id": key, spec.label.column: None, spec.label.timestamp_column: collected_at}
        if not key:
            out.add(row, [f"record: {where} has no eventMetadata.eventId"])
            continue
        try:
            values = _labels(_body(record.get("groundTruthData"), "groundTruthData"), spec)
        except PayloadError as exc:
            out.add(row, [f"record: {where} ({key}): {exc}"])
            continue
        if len(values) != 1:
            out.add(row, [f"record: {where} ({key}): {len(values)} labels in one record; expected one"])
            continue
        row[spec.label.column] = text_value(values[0])
        out.add(row)
    return out


def _labels(body: Any, spec: ModelSpec) -> list[Any]:
    if isinstance(body, list):  # CSV rows, or a JSON list
        return [v[0] if isinstance(v, list) and len(v) == 1 else v for v in body]
    if isinstance(body, dict):
        for key in (spec.label.column, "label", "groundTruth"):
            if key in body:
                return [body[key]]
        raise PayloadError(f"groundTruthData object has no {spec.label.column!r} or 'label' key")
    return [body]


def _lines(content: bytes) -> list[tuple[int, str]]:
    text = content.decode("utf-8", errors="replace")
    return [(i, line) for i, line in enumerate(text.splitlines(), start=1) if line.strip()]


def _records(content: bytes, out: Decoded) -> Iterator[tuple[str, Any]]:
    """(``line N``, parsed JSON) per line; a line that is not complete JSON becomes a quarantined row here."""
    for number, line in _lines(content):
        try:
            yield f"line {number}", json.loads(line)
        except ValueError:
            out.add({}, [f"record: line {number} is not a complete JSON record (cut short?): {shorten(line, 60)!r}"])
