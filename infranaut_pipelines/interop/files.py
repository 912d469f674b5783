"""Where the SageMaker-compatible files go in the lake, and writing them (the assets call these in one line each).

* per baseline: ``baselines/<model>/<version>/constraints.json`` (what a Model Monitor baselining job
  suggests), the current one also at ``baselines/<model>/constraints.json``;
* per partition, next to the drift reports: ``reports/<model>/<day>/statistics.json`` and
  ``constraint_violations.json`` (checked against the constraints of the sketch the report compared with).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import polars as pl

from infranaut_pipelines.drift.result import DriftResult
from infranaut_pipelines.drift.sketch import BaselineSketch
from infranaut_pipelines.interop.sagemaker import constraints, statistics, violations
from infranaut_pipelines.registry.schema import ModelSpec
from infranaut_pipelines.storage import ObjectStore


def baseline_constraints_key(model_id: str, version: str | None = None) -> str:
    return f"baselines/{model_id}/{version}/constraints.json" if version else f"baselines/{model_id}/constraints.json"


def _dump(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, indent=2, allow_nan=False).encode()


def write_baseline_files(store: ObjectStore, spec: ModelSpec, sketch: BaselineSketch) -> str:
    """The managed baseline's constraints; returns the versioned key."""
    doc = _dump(constraints(sketch, spec))
    store.write_bytes(baseline_constraints_key(spec.id, sketch.version), doc)
    store.write_bytes(baseline_constraints_key(spec.id), doc)
    return baseline_constraints_key(spec.id, sketch.version)


def write_partition_files(
    store: ObjectStore, spec: ModelSpec, day: dt.date, current: pl.DataFrame, drift: DriftResult,
    sketch: BaselineSketch,
) -> int:
    """A day's statistics and its violations against the reference it was compared with; returns how many."""
    prefix = f"reports/{spec.id}/{day.isoformat()}/"
    found = violations(current, spec, constraints(sketch, spec), drift)
    store.write_bytes(prefix + "statistics.json", _dump(statistics(current, spec)))
    store.write_bytes(prefix + "constraint_violations.json", _dump(found))
    return len(found["violations"])
