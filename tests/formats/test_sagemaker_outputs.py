"""statistics.json, constraints.json and constraint_violations.json in Model Monitor's documented schemas,
written for a real baseline sketch and drift comparison of the test's own model."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from infranaut_pipelines.drift import build_sketch, compare
from infranaut_pipelines.interop.files import write_baseline_files, write_partition_files
from infranaut_pipelines.interop.sagemaker import CHECK_TYPES
from infranaut_pipelines.monitoring.specs import drift_columns, drift_settings
from infranaut_pipelines.registry import parse_registry
from infranaut_pipelines.storage import LocalStore
from tests.formats.fixtures import REGISTRY_YAML

# Field names transcribed from the SageMaker developer guide (model-monitor-byoc-statistics.md,
# -byoc-constraints.md, -interpreting-violations.md): every key we write must be one of these.
STATISTICS_KEYS = {"version", "dataset", "item_count", "features", "name", "inferred_type", "numerical_statistics",
                   "string_statistics", "common", "num_present", "num_missing", "mean", "sum", "std_dev", "min",
                   "max", "distribution", "kll", "buckets", "lower_bound", "upper_bound", "count", "distinct_count",
                   "categorical", "value"}
CONSTRAINTS_KEYS = {"version", "features", "name", "inferred_type", "completeness", "num_constraints",
                    "is_non_negative", "string_constraints", "domains", "monitoring_config", "evaluate_constraints",
                    "emit_metrics", "datatype_check_threshold", "domain_content_threshold",
                    "distribution_constraints", "perform_comparison", "comparison_threshold", "comparison_method"}
VIOLATION_KEYS = {"feature_name", "constraint_check_type", "description"}
TYPES = {"Integral", "Fractional", "String", "Unknown"}

SENSITIVE_YAML = REGISTRY_YAML.replace("{name: zone, type: category}", "{name: zone, type: category, sensitive: true}")


def keys(doc: Any) -> set[str]:
    if isinstance(doc, dict):
        return set(doc) | {k for v in doc.values() for k in keys(v)}
    if isinstance(doc, list):
        return {k for v in doc for k in keys(v)}
    return set()


def frame(rows: int, seed: int, shift: float = 0.0, zones: tuple[str, ...] = ("north", "south")) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    distance = rng.gamma(3.0, 10.0, rows) + shift * 30
    distance[:5] = np.nan if shift else distance[:5]  # the shifted day also loses a few values
    return pl.DataFrame({
        "prediction_id": [f"p{seed}-{i}" for i in range(rows)],
        "distance_km": distance,
        "parcels": rng.integers(1, 20, rows),
        "zone": rng.choice(list(zones), rows).tolist(),
        "eta_hours": distance / 20.0,
    }).with_columns(pl.col("distance_km").fill_nan(None))


@pytest.fixture
def written(tmp_path: Path) -> tuple[LocalStore, dict[str, Any]]:
    spec = parse_registry(REGISTRY_YAML).model("parcel_eta")
    store = LocalStore(tmp_path)
    reference, current = frame(800, 1), frame(800, 2, shift=2.0, zones=("north", "south", "harbour"))
    sketch = build_sketch(reference, drift_columns(spec), drift_settings(spec), prediction=reference["eta_hours"])
    write_baseline_files(store, spec, sketch)
    result = compare(sketch, current, drift_columns(spec), drift_settings(spec))
    day = "2026-11-03"
    n = write_partition_files(store, spec, dt.date.fromisoformat(day), current, result, sketch)
    read = lambda k: json.loads(store.read_bytes(k))  # noqa: E731
    docs = {"statistics": read(f"reports/parcel_eta/{day}/statistics.json"),
            "violations": read(f"reports/parcel_eta/{day}/constraint_violations.json"),
            "constraints": read("baselines/parcel_eta/constraints.json"),
            "versioned": read(f"baselines/parcel_eta/{sketch.version}/constraints.json"),
            "n": n, "result": result}
    return store, docs


def test_statistics_follow_the_documented_schema(written) -> None:
    _, docs = written
    stats = docs["statistics"]
    assert keys(stats) <= STATISTICS_KEYS
    assert stats["version"] == 0 and stats["dataset"]["item_count"] == 800
    by_name = {f["name"]: f for f in stats["features"]}
    assert set(by_name) == {"distance_km", "parcels", "zone", "eta_hours"}
    assert {f["inferred_type"] for f in stats["features"]} <= TYPES
    num = by_name["distance_km"]["numerical_statistics"]
    assert num["common"] == {"num_present": 795, "num_missing": 5}
    buckets = num["distribution"]["kll"]["buckets"]
    assert len(buckets) == 10 and sum(b["count"] for b in buckets) == 795
    assert buckets[0]["lower_bound"] == num["min"] and buckets[-1]["upper_bound"] == pytest.approx(num["max"])
    assert by_name["parcels"]["inferred_type"] == "Integral"
    zone = by_name["zone"]["string_statistics"]
    assert zone["distinct_count"] == 3
    assert {b["value"] for b in zone["distribution"]["categorical"]["buckets"]} == {"north", "south", "harbour"}


def test_constraints_follow_the_documented_schema(written) -> None:
    _, docs = written
    cons = docs["constraints"]
    assert keys(cons) <= CONSTRAINTS_KEYS and cons["version"] == 0 and cons == docs["versioned"]
    by_name = {f["name"]: f for f in cons["features"]}
    assert by_name["distance_km"]["completeness"] == 1.0
    assert by_name["distance_km"]["num_constraints"] == {"is_non_negative": True}
    assert by_name["zone"]["string_constraints"]["domains"] == ["north", "south"]
    assert {f["name"]: f["inferred_type"] for f in cons["features"]} == {
        "distance_km": "Fractional", "parcels": "Integral", "zone": "String", "eta_hours": "Fractional"}
    assert cons["monitoring_config"]["distribution_constraints"]["perform_comparison"] == "Enabled"


def test_violations_name_the_checks_a_migrated_alarm_reads(written) -> None:
    _, docs = written
    found = docs["violations"]["violations"]
    assert found and all(set(v) == VIOLATION_KEYS for v in found) and docs["n"] == len(found)
    assert {v["constraint_check_type"] for v in found} <= set(CHECK_TYPES)
    pairs = {(v["feature_name"], v["constraint_check_type"]) for v in found}
    drifted = {c.name for c in docs["result"].columns if c.drifted}
    assert "distance_km" in drifted and ("distance_km", "baseline_drift_check") in pairs
    assert ("distance_km", "completeness_check") in pairs  # 5 of 800 missing against a complete baseline
    assert ("zone", "categorical_values_check") in pairs
    assert "harbour" in next(v["description"] for v in found if v["constraint_check_type"] == "categorical_values_check")


def test_sensitive_values_are_never_written(tmp_path: Path) -> None:
    spec = parse_registry(SENSITIVE_YAML).model("parcel_eta")
    store = LocalStore(tmp_path)
    reference, current = frame(300, 1), frame(300, 3, zones=("north", "secret-site"))
    sketch = build_sketch(reference, drift_columns(spec), drift_settings(spec), prediction=reference["eta_hours"])
    write_baseline_files(store, spec, sketch)
    write_partition_files(store, spec, dt.date(2026, 11, 3), current,
                          compare(sketch, current, drift_columns(spec), drift_settings(spec)), sketch)
    written_text = " ".join(p.read_text() for p in tmp_path.rglob("*.json"))
    assert "secret-site" not in written_text and "north" not in written_text
