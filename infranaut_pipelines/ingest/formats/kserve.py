"""KServe payload-logger objects (blob storage, ``json`` format) to contract rows.

The logger writes each batch of logged messages as a JSON array of ``LogRequest`` objects to
``<prefix>/<id>-<request|response>.json``; every element carries ``Id`` (the request id, shared by a request
and its response), ``ReqType`` (``org.kubeflow.serving.inference.request`` / ``...response``),
``ContentType`` and ``Bytes`` (the body, base64 as Go encodes a byte slice). A request and its response are
joined on ``Id``; V1 bodies (``instances`` / ``predictions``) and V2 ones (``inputs`` / ``outputs`` tensors)
are read by :mod:`payload`. The logger records no latency: it stays null (not available); a request with
its logged response is status ``ok``.

A request whose response has not arrived (or the reverse) waits while its object is younger than the
grace period, then becomes a quarantined row naming the id.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from infranaut_pipelines.ingest.formats.payload import (
    PayloadError,
    add_instances,
    instances,
    parse_body,
    predictions,
    text_value,
)
from infranaut_pipelines.ingest.formats.records import Decoded, shorten
from infranaut_pipelines.registry.schema import ModelSpec

NOT_LOGGED = ("latency_ms",)


@dataclass(frozen=True)
class LoggedObject:
    key: str
    content: bytes
    last_modified: dt.datetime


@dataclass
class _Message:
    key: str
    written: dt.datetime
    entry: dict[str, Any]


def _messages(obj: LoggedObject, out: Decoded) -> list[tuple[str, str, _Message]]:
    """(id, 'request'|'response', message) of every entry of one object; unreadable entries go to ``out``."""
    try:
        parsed = json.loads(obj.content.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        out.add({}, [f"record: {obj.key} is not a complete JSON document (cut short?)"])
        return []
    entries = parsed if isinstance(parsed, list) else [parsed]
    found = []
    for n, entry in enumerate(entries):
        where = f"{obj.key} entry {n}"
        if not isinstance(entry, dict):
            out.add({}, [f"record: {where} is not a LogRequest object"])
            continue
        rid, rtype = text_value(entry.get("Id")), str(entry.get("ReqType") or "").rsplit(".", 1)[-1]
        if not rid or rtype not in ("request", "response"):
            out.add({"prediction_id": rid}, [f"record: {where} has no Id or a ReqType that is not a request/response"])
            continue
        found.append((rid, rtype, _Message(obj.key, obj.last_modified, entry)))
    return found


def _body(msg: _Message) -> Any:
    raw = msg.entry.get("Bytes")
    if not isinstance(raw, str):
        raise PayloadError("Bytes is missing")
    try:
        text = base64.b64decode(raw, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise PayloadError(f"Bytes is not decodable base64 (or not UTF-8 text): {shorten(raw, 40)!r}") from None
    return parse_body(text, str(msg.entry.get("ContentType") or "application/json"))


def _timestamp(msg: _Message) -> str:
    meta = msg.entry.get("Metadata") if isinstance(msg.entry.get("Metadata"), dict) else {}
    ce_time = meta.get("Ce-Time") or meta.get("ce-time")
    if isinstance(ce_time, list) and ce_time:
        return str(ce_time[0])
    return msg.written.astimezone(dt.timezone.utc).isoformat()


def decode_kserve(objects: list[LoggedObject], spec: ModelSpec, now: dt.datetime, grace: dt.timedelta) -> Decoded:
    """Join every request with its response across ``objects``; see the module docstring for the unmatched."""
    out = Decoded(not_available=NOT_LOGGED)
    pairs: dict[str, dict[str, _Message]] = {}
    for obj in objects:
        for rid, rtype, msg in _messages(obj, out):
            if rtype in pairs.setdefault(rid, {}):
                out.add({"prediction_id": rid}, [f"record: {rid}: a second {rtype} (in {msg.key})"])
                continue
            pairs[rid][rtype] = msg
    for rid, pair in pairs.items():
        req, resp = pair.get("request"), pair.get("response")
        base = {"prediction_id": rid, "model_id": spec.id, "latency_ms": None, "status": None}
        if req is None or resp is None:
            have = req or resp
            assert have is not None
            if now - have.written < grace:
                out.waiting.append(have.key)
                continue
            missing = "response" if resp is None else "request"
            base["timestamp"] = _timestamp(have)
            out.add(base, [f"record: {rid}: {'request' if req else 'response'} without its {missing} after "
                           f"{int(grace.total_seconds() // 60)} minute(s) ({have.key})"])
            continue
        base["timestamp"] = _timestamp(req)
        base["status"] = "ok"
        base["model_version"] = text_value(req.entry.get("Component")) or text_value(req.entry.get("InferenceService"))
        try:
            feats, preds = instances(_body(req), spec), predictions(_body(resp), spec)
        except PayloadError as exc:
            out.add(base, [f"record: {rid}: {exc}"])
            continue
        add_instances(out, base, rid, feats, preds, spec, rid)
    return out
