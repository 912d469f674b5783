"""A model's drift reference from a list of days: read their features and labels, sketch once (pure).

One function for both kinds of baseline: the managed one (``drift_baseline``: a pinned window, the first N
days, or listed ``seasonal_days``, built once and reused) and the calendar one (``same_weekday_weeks``: the
same weekday of the previous N weeks, built per report day by ``drift_report``), so both record the same
pointer (version, exact days used, labelled rows, parts left out and why).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from infranaut_pipelines.drift import BaselineSketch, build_sketch
from infranaut_pipelines.monitoring.importance import feature_importance
from infranaut_pipelines.monitoring.layout import baseline_sketch_key, segment_sketches_key
from infranaut_pipelines.monitoring.segments import SegmentSketches, build_segment_sketches
from infranaut_pipelines.monitoring.specs import drift_columns, drift_settings
from infranaut_pipelines.registry import ModelSpec
from infranaut_pipelines.storage import ObjectStore

# (features, labels) of one day, each None when the lake has no partition for it.
DayReader = Callable[[dt.date], tuple[pl.DataFrame | None, pl.DataFrame | None]]


@dataclass(frozen=True)
class Reference:
    sketch: BaselineSketch
    pointer: dict
    rows: int
    labelled: int
    skipped: tuple[dt.date, ...]  # requested days with no features
    segments: SegmentSketches | None = None  # the same reference, sketched per segment (registry `segments`)


def build_reference(spec: ModelSpec, days: list[dt.date], read_day: DayReader) -> Reference | None:
    """The sketch of ``days`` (those that have features), or None when none has."""
    frames, labels, used, skipped = [], [], [], []
    for day in days:
        features, day_labels = read_day(day)
        if features is None:
            skipped.append(day)
            continue
        frames.append(features)
        used.append(day.isoformat())
        if day_labels is not None:
            labels.append(day_labels)
    if not frames:
        return None
    reference = pl.concat(frames, how="diagonal_relaxed")
    label_series = None
    if labels:
        label_series = (
            reference.select("prediction_id")
            .join(pl.concat(labels, how="diagonal_relaxed").select("prediction_id", spec.label.column),
                  on="prediction_id", how="left")
            .get_column(spec.label.column)
        )
    labelled = 0 if label_series is None else int(label_series.is_not_null().sum())
    # Labels are optional ("later", often never): data, prediction and multivariate drift and SLA need none.
    # Below the minimum, the reference is built without its performance parts, and says why.
    missing: list[str] = []
    need = 2 * drift_settings(spec).chunks  # two rows per reference chunk, the performance bands' minimum
    if spec.task and labelled < need:
        missing.append(f"performance and estimated performance: {labelled} labelled reference rows (need {need})")
        label_series = None
    sketch = build_sketch(reference, drift_columns(spec), drift_settings(spec), labels=label_series,
                          prediction=reference.get_column(spec.prediction.column))
    pointer = {
        "model_id": spec.id,
        "version": sketch.version,
        "days": used,
        "rows": reference.height,
        "labelled_rows": labelled,
        "missing": missing,
        "importance": feature_importance(reference, spec),
        "built_at": dt.datetime.now(dt.timezone.utc).isoformat(),
    }
    segments = build_segment_sketches(spec, reference, label_series) if spec.segments else None
    return Reference(sketch, pointer, reference.height, labelled, tuple(skipped), segments)


def store_reference(store: ObjectStore, built: Reference) -> dict:
    """Write the sketch (and its per-segment sketches) under their content version; the pointer to them."""
    model_id, version = built.pointer["model_id"], built.sketch.version
    pointer = {**built.pointer, "sketch_key": baseline_sketch_key(model_id, version)}
    store.write_bytes(pointer["sketch_key"], built.sketch.to_bytes())
    if built.segments is not None:
        pointer["segments_key"] = segment_sketches_key(model_id, version)
        store.write_bytes(pointer["segments_key"], built.segments.to_bytes())
    return pointer


def load_segments(store: ObjectStore, pointer: dict) -> SegmentSketches | None:
    """The per-segment sketches of a reference, or None (no segments declared when it was built)."""
    if not pointer.get("segments_key") or store.head(pointer["segments_key"]) is None:
        return None
    return SegmentSketches.from_bytes(store.read_bytes(pointer["segments_key"]))


def describe_days(days: list[str]) -> str:
    """The report's "baseline window": a range when the days are consecutive, else the days themselves."""
    if not days:
        return "none"
    parsed = [dt.date.fromisoformat(d) for d in days]
    if (parsed[-1] - parsed[0]).days + 1 == len(parsed):
        return f"{days[0]} .. {days[-1]}"
    return ", ".join(days)
