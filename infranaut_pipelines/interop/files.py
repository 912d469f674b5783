"""Where the SageMaker-compatible files go in the lake, and writing them (the assets call these in one line each).

* per baseline: ``baselines/<model>/<version>/statistics.json`` and ``constraints.json`` (what a Model
  Monitor baselining job writes), the current one also at ``baselines/<model>/constraints.json``;
* per partition, next to the drift reports: ``reports/<model>/<day>/statistics.json`` and
  ``constraint_violations.json``.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import polars as pl

from infranaut_pipelines.drift.result import DriftResult
from infranaut_pipelines.interop.sagemaker import constraints, statistics, violations
from infranaut_pipelines.registry.schema import ModelSpec
from infranaut_pipelines.storage import ObjectStore


def baseline_constraints_key(model_id: str, version: str | None = None) -> str:
    return f"baselines/{model_id}/{version}/constraints.json" if version else f"baselines/{model_id}/constraints.json"


def _dump(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, indent=2, allow_nan=False).encode()


def write_baseline_files(store: ObjectStore, spec: ModelSpec, reference: pl.DataFrame, version: str) -> str:
    """The baseline's statistics and constraints; returns the versioned constraints key."""
    doc = _dump(constraints(reference, spec))
    store.write_bytes(f"baselines/{spec.id}/{version}/statistics.json", _dump(statistics(reference, spec)))
    store.write_bytes(baseline_constraints_key(spec.id, version), doc)
    store.write_bytes(baseline_constraints_key(spec.id), doc)
    return baseline_constraints_key(spec.id, version)


def write_partition_files(
    store: ObjectStore, spec: ModelSpec, day: dt.date, current: pl.DataFrame, drift: DriftResult, version: str
) -> int:
    """A day's statistics and violations against baseline ``version``; returns the number of violations.

    A baseline built before these files existed has no constraints.json: one is derived now from nothing but
    the drift result (no completeness or domain checks), rather than failing the report.
    """
    prefix = f"reports/{spec.id}/{day.isoformat()}/"
    key = baseline_constraints_key(spec.id, version)
    baseline = json.loads(store.read_bytes(key)) if store.head(key) is not None else {"features": []}
    found = violations(current, spec, baseline, drift)
    if not baseline["features"]:
        found["violations"] = [v for v in found["violations"] if v["constraint_check_type"] == "baseline_drift_check"]
    store.write_bytes(prefix + "statistics.json", _dump(statistics(current, spec)))
    store.write_bytes(prefix + "constraint_violations.json", _dump(found))
    return len(found["violations"])
