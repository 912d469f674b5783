"""Read S3 event notifications (``s3:ObjectCreated:*`` delivered to SQS) into landing objects (pure).

A message is turned into the same :class:`ObjectInfo` a listing would give (key relative to the landing
prefix, size, ETag, time), so the scanner treats an event and a listed object alike and a drop seen both
ways has one identity. The ETag, not the event's ``versionId``, identifies the version: a listing has no
version id, and the two paths must agree or a drop would be requested twice.

Anything else a queue may carry is explained, never raised: S3's ``s3:TestEvent`` (sent when the
notification is configured), other event types, other buckets or prefixes, and malformed bodies.
Messages that arrive through SNS (``{"Type": "Notification", "Message": "..."}``) are unwrapped.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

from infranaut_pipelines.storage.object_store import ObjectInfo

_MAX_NOTE = 200


@dataclass
class ParsedMessage:
    objects: list[ObjectInfo] = field(default_factory=list)
    # Why (part of) the message produced no object; "" when every record was a landing drop.
    notes: list[str] = field(default_factory=list)
    malformed: bool = False


def parse_event_message(body: str, bucket: str, prefix: str) -> ParsedMessage:
    """The created objects of one SQS message body under ``s3://bucket/prefix``, and notes on the rest."""
    out = ParsedMessage()
    try:
        doc = json.loads(body)
        if isinstance(doc, dict) and doc.get("Type") == "Notification" and isinstance(doc.get("Message"), str):
            doc = json.loads(doc["Message"])  # S3 -> SNS -> SQS
    except (ValueError, TypeError) as exc:
        return _malformed(out, f"not JSON ({exc})")
    if not isinstance(doc, dict):
        return _malformed(out, "not a JSON object")
    if doc.get("Event") == "s3:TestEvent":
        out.notes.append("S3 test event (sent when the notification was configured)")
        return out
    records = doc.get("Records")
    if not isinstance(records, list):
        return _malformed(out, "no 'Records' list: not an S3 event notification")
    root = prefix.strip("/")
    for i, record in enumerate(records):
        try:
            obj, note = _record(record, bucket, root)
        except (KeyError, TypeError, ValueError) as exc:
            _malformed(out, f"record {i}: {type(exc).__name__}: {exc}")
            continue
        if obj is not None:
            out.objects.append(obj)
        elif note:
            out.notes.append(note)
    return out


def _record(record: Any, bucket: str, root: str) -> tuple[ObjectInfo | None, str]:
    name = record["eventName"]
    if not isinstance(name, str):
        raise TypeError(f"eventName is {type(name).__name__}, not a string")
    if not name.startswith("ObjectCreated:"):
        return None, f"{name[:40]} event ignored (only ObjectCreated starts ingestion)"
    s3 = record["s3"]
    if s3["bucket"]["name"] != bucket:
        return None, f"event for another bucket ({str(s3['bucket']['name'])[:63]})"
    key = unquote_plus(str(s3["object"]["key"]))  # S3 URL-encodes keys in events ("+" for a space)
    if root:
        if not key.startswith(root + "/"):
            return None, "event for a key outside the landing prefix"
        key = key[len(root) + 1 :]
    if not key or key.endswith("/"):
        return None, "event for a folder marker"
    when = dt.datetime.fromisoformat(str(record["eventTime"]).replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    obj = s3["object"]
    return ObjectInfo(
        key=key,
        size=int(obj.get("size", 0)),
        etag=str(obj.get("eTag", "")).strip('"'),
        last_modified=when.astimezone(dt.timezone.utc),
    ), ""


def _malformed(out: ParsedMessage, note: str) -> ParsedMessage:
    out.malformed = True
    out.notes.append(f"malformed message: {note}"[:_MAX_NOTE])
    return out
