"""Where the monitoring phase keeps its files in the lake: one module, so assets, sensors and the CLI agree.

Plain functions of (model, day); the lake itself (local folder or S3) is chosen elsewhere.
"""

from __future__ import annotations

import datetime as dt
import json

from infranaut_pipelines.drift import BaselineSketch
from infranaut_pipelines.storage import ObjectStore


def baseline_pointer_key(model_id: str) -> str:
    """The current baseline of a model: which sketch, which days, built when."""
    return f"baselines/{model_id}/current.json"


def baseline_sketch_key(model_id: str, version: str) -> str:
    return f"baselines/{model_id}/{version}.json"


def segment_sketches_key(model_id: str, version: str) -> str:
    """The reference of ``version`` sketched per segment (only for models with ``segments``)."""
    return f"baselines/{model_id}/{version}.segments.json"


def waiting_prefix(model_id: str) -> str:
    """Days whose drift report waited for the model's first baseline (one empty marker per day)."""
    return f"baselines/{model_id}/waiting/"


def waiting_marker_key(model_id: str, day: dt.date) -> str:
    return f"{waiting_prefix(model_id)}{day.isoformat()}"


def report_prefix(model_id: str, day: dt.date | str) -> str:
    day_s = day.isoformat() if isinstance(day, dt.date) else day
    return f"reports/{model_id}/{day_s}/"


def report_html_key(model_id: str, day: dt.date | str) -> str:
    return report_prefix(model_id, day) + "drift_report.html"


def features_prefix(model_id: str) -> str:
    """model_features partitions of one model (the IO manager's ``<asset>/model=<id>/date=<day>.parquet``)."""
    return f"model_features/model={model_id}/"


def feature_day(key: str) -> dt.date | None:
    """The day of a model_features partition key, or None for anything else."""
    name = key.rsplit("/", 1)[-1]
    if not (name.startswith("date=") and name.endswith(".parquet")):
        return None
    try:
        return dt.date.fromisoformat(name[len("date="):-len(".parquet")])
    except ValueError:
        return None


def current_pointer(store: ObjectStore, model_id: str) -> dict | None:
    """The model's current baseline pointer, or None while it has none (see monitoring/bootstrap.py)."""
    if store.head(baseline_pointer_key(model_id)) is None:
        return None
    return json.loads(store.read_bytes(baseline_pointer_key(model_id)))


def load_current_baseline(store: ObjectStore, model_id: str) -> tuple[BaselineSketch, dict] | None:
    """The model's current baseline sketch and its pointer, or None while it has none."""
    pointer = current_pointer(store, model_id)
    if pointer is None:
        return None
    return BaselineSketch.from_bytes(store.read_bytes(pointer["sketch_key"])), pointer


def baseline_state(store: ObjectStore, model_id: str) -> tuple[dict | None, list[dt.date], list[dt.date]]:
    """(current baseline pointer or None, days with features, days waiting for a baseline) of a model.

    Features are only listed while there is no baseline (that is when the window matters); the waiting
    markers only once there is one. Both listings are bounded by the model's own days.
    """
    pointer = current_pointer(store, model_id)
    features: list[dt.date] = []
    waiting: list[dt.date] = []
    if pointer is None:
        features = [d for d in (feature_day(o.key) for o in store.list(features_prefix(model_id))) if d]
    else:
        for o in store.list(waiting_prefix(model_id)):
            try:
                waiting.append(dt.date.fromisoformat(o.key.rsplit("/", 1)[-1]))
            except ValueError:
                continue
    return pointer, sorted(features), sorted(waiting)
