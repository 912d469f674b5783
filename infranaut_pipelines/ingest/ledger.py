"""Which landing objects a partition's ingestion already read: one small JSON file per (kind, model, day).

The landing sensor consults it before requesting a run, so drops that were processed by other means (the
demo, ``infranaut run``, a run launched from the UI) are not queued again on the sensor's first tick.
Only an object version that no ingestion has read starts a run; a new version of a file still does.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable

from infranaut_pipelines.storage.object_store import ObjectInfo, ObjectStore


def ledger_key(kind: str, model_id: str, day: dt.date) -> str:
    return f"ingested/{kind}/{model_id}/{day.isoformat()}.json"


def write_ledger(lake: ObjectStore, kind: str, model_id: str, day: dt.date, objects: Iterable[ObjectInfo]) -> None:
    """Record every object version the ingestion handled (read or rejected): both are done with."""
    entries = sorted({(o.key, o.version_token) for o in objects})
    lake.write_bytes(ledger_key(kind, model_id, day), json.dumps({"objects": entries}).encode())


def read_ledger(lake: ObjectStore, kind: str, model_id: str, day: dt.date) -> set[tuple[str, str]]:
    key = ledger_key(kind, model_id, day)
    if lake.head(key) is None:
        return set()
    try:
        return {(k, t) for k, t in json.loads(lake.read_bytes(key))["objects"]}
    except (ValueError, KeyError, TypeError):
        return set()  # an unreadable ledger means "not known": the run is requested, never lost


def already_ingested(objects: Iterable[ObjectInfo], ledger: set[tuple[str, str]]) -> bool:
    objs = list(objects)
    return bool(objs) and all((o.key, o.version_token) in ledger for o in objs)
