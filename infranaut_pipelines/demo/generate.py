"""Write a reproducible set of demo drops into the landing zone and say exactly what was written.

Same arguments, same bytes: every (model, day) draws from its own ``numpy.random.default_rng`` seeded by
(seed, model id, date, purpose), so adding a model or a day never changes the data of the others.
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from infranaut_pipelines.demo.corrupt import BAD_KINDS, BadRow, Segment, inject_bad_rows
from infranaut_pipelines.demo.formats import serialise
from infranaut_pipelines.demo.models import DRIFT_EPISODES, LATENCY_BREACH_DAYS, DriftEpisode, generate_day
from infranaut_pipelines.ingest.contract import drop_prefix
from infranaut_pipelines.registry.schema import ModelSpec, Registry
from infranaut_pipelines.storage.object_store import ObjectStore

DEFAULT_DEMO_START = dt.date(2026, 11, 1)  # the registry pins drift baselines to 2026-11-01..03
DEFAULT_DEMO_DAYS = 10
LABEL_SHARE = 0.9  # labels arrive for ~90% of predictions

# Per day (cycled, shifted per model): the files of the day and their formats. Two entries = two files,
# split at noon (a morning and an afternoon export). Mostly parquet, so that the text readers are exercised too.
FORMAT_PLAN: tuple[tuple[str, ...], ...] = (
    ("parquet",),
    ("parquet",),
    ("csv.gz",),
    ("parquet", "parquet"),
    ("jsonl",),
    ("parquet",),
    ("csv.gz", "csv.gz"),
    ("parquet",),
    ("jsonl", "parquet"),
    ("parquet",),
)


@dataclass(frozen=True)
class BadRowRecord:
    model_id: str
    date: dt.date
    kind: str
    key: str  # the file the row is in
    row: int  # 0-based data row in that file
    column: str
    prediction_id: str | None  # as written (None for null_required; the reused id for duplicate_id)

    def to_dict(self) -> dict[str, object]:
        return {**self.__dict__, "date": self.date.isoformat()}


@dataclass
class DemoManifest:
    """Everything tests and docs need to know about a demo landing zone. Nested dicts are model -> ISO date."""

    start: dt.date
    days: int
    models: list[str]
    dates: list[dt.date]
    files: list[str] = field(default_factory=list)
    inference_files: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    label_files: dict[str, dict[str, str]] = field(default_factory=dict)
    rows: dict[str, dict[str, int]] = field(default_factory=dict)
    error_rows: dict[str, dict[str, int]] = field(default_factory=dict)
    label_rows: dict[str, dict[str, int]] = field(default_factory=dict)
    bad_rows: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    bad_row_details: list[BadRowRecord] = field(default_factory=list)
    drift_episodes: dict[str, DriftEpisode] = field(default_factory=dict)
    latency_breach_dates: dict[str, list[dt.date]] = field(default_factory=dict)

    def bad_total(self, model_id: str, day: dt.date | str) -> int:
        d = day.isoformat() if isinstance(day, dt.date) else day
        return sum(self.bad_rows[model_id][d].values())

    def drift_dates(self, model_id: str) -> list[dt.date]:
        ep = self.drift_episodes.get(model_id)
        return [] if ep is None else self.dates[ep.start_day_index :]

    def to_dict(self) -> dict[str, object]:
        return {
            "start": self.start.isoformat(),
            "days": self.days,
            "models": list(self.models),
            "dates": [d.isoformat() for d in self.dates],
            "files": list(self.files),
            "inference_files": self.inference_files,
            "label_files": self.label_files,
            "rows": self.rows,
            "error_rows": self.error_rows,
            "label_rows": self.label_rows,
            "bad_rows": self.bad_rows,
            "bad_row_details": [b.to_dict() for b in self.bad_row_details],
            "drift_episodes": {m: e.to_dict() for m, e in self.drift_episodes.items()},
            "latency_breach_dates": {m: [d.isoformat() for d in ds] for m, ds in self.latency_breach_dates.items()},
        }


def _rng(seed: int, model_id: str, day: dt.date, purpose: int) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(model_id.encode()), day.toordinal(), purpose])


def _segments(frame: pd.DataFrame, plan: tuple[str, ...]) -> list[Segment]:
    if len(plan) == 1:
        return [Segment(0, len(frame), plan[0])]
    noon = frame["timestamp"].iloc[0].normalize() + pd.Timedelta(hours=12)
    cut = int((frame["timestamp"] < noon).sum())  # timestamps are sorted: the morning rows come first
    if cut in (0, len(frame)):
        return [Segment(0, len(frame), plan[0])]  # never write an empty file
    return [Segment(0, cut, plan[0]), Segment(cut, len(frame), plan[1])]


def _labels(
    spec: ModelSpec, frame: pd.DataFrame, truth: np.ndarray, bad: list[BadRow], day: dt.date, rng: np.random.Generator
) -> pd.DataFrame:
    """Labels for ~90% of the clean ``ok`` predictions, stamped on the day after (when they became known)."""
    eligible = np.ones(len(frame), dtype=bool)
    eligible[[b.row for b in bad]] = False
    eligible &= frame["status"].to_numpy() == "ok"
    keep = np.flatnonzero(eligible & (rng.random(len(frame)) < LABEL_SHARE))
    ms = np.sort(rng.integers(0, 86_400_000, size=len(keep)))
    next_day = pd.Timestamp((day + dt.timedelta(days=1)).isoformat(), tz="UTC")
    return pd.DataFrame(
        {
            "prediction_id": frame["prediction_id"].to_numpy()[keep].astype(object),
            spec.label.column: truth[keep],
            spec.label.timestamp_column: next_day + pd.to_timedelta(ms, unit="ms"),
        }
    )


def write_demo_drops(
    store: ObjectStore,
    registry: Registry,
    start: dt.date = DEFAULT_DEMO_START,
    days: int = DEFAULT_DEMO_DAYS,
    rows_per_day: int = 2000,
    seed: int = 7,
    models: list[str] | None = None,
) -> DemoManifest:
    """Write ``days`` days of inference drops (and next-day labels, except for the last day) for each model."""
    if days < 1 or rows_per_day < 100:
        raise ValueError("the demo needs at least 1 day and 100 rows a day")
    specs = [registry.model(m) for m in models] if models else list(registry.models)
    dates = [start + dt.timedelta(days=i) for i in range(days)]
    manifest = DemoManifest(start=start, days=days, models=[s.id for s in specs], dates=dates)
    for m_idx, spec in enumerate(specs):
        for name in ("inference_files", "label_files", "rows", "error_rows", "label_rows", "bad_rows"):
            getattr(manifest, name)[spec.id] = {}
        if spec.id in DRIFT_EPISODES:
            manifest.drift_episodes[spec.id] = DRIFT_EPISODES[spec.id]
        manifest.latency_breach_dates[spec.id] = [dates[i] for i in LATENCY_BREACH_DAYS.get(spec.id, ()) if i < days]
        for d_idx, day in enumerate(dates):
            _write_day(store, manifest, spec, day, d_idx, FORMAT_PLAN[(d_idx + 3 * m_idx) % len(FORMAT_PLAN)],
                       rows_per_day, seed, last=d_idx == days - 1)
    return manifest


def _write_day(
    store: ObjectStore,
    manifest: DemoManifest,
    spec: ModelSpec,
    day: dt.date,
    d_idx: int,
    plan: tuple[str, ...],
    n: int,
    seed: int,
    last: bool,
) -> None:
    d = day.isoformat()
    frame, truth = generate_day(spec, day, d_idx, n, _rng(seed, spec.id, day, 0))
    segments = _segments(frame, plan)
    frame, bad = inject_bad_rows(frame, spec, day, segments, _rng(seed, spec.id, day, 1))
    prefix = drop_prefix("inferences", spec.id, day)
    keys: list[str] = []
    for i, seg in enumerate(segments):
        key = f"{prefix}part-{i:03d}.{seg.ext}"
        part = frame.iloc[seg.start : seg.end]
        overrides = {(b.row - seg.start, b.column): b.text for b in bad if b.text and seg.start <= b.row < seg.end}
        store.write_bytes(key, serialise(part, seg.ext, overrides))
        keys.append(key)
        for b in bad:
            if seg.start <= b.row < seg.end:
                manifest.bad_row_details.append(
                    BadRowRecord(spec.id, day, b.kind, key, b.row - seg.start, b.column, frame.at[b.row, "prediction_id"])
                )
    manifest.files.extend(keys)
    manifest.inference_files[spec.id][d] = keys
    manifest.rows[spec.id][d] = len(frame)
    manifest.error_rows[spec.id][d] = int((frame["status"] == "error").sum())
    counts = {k: 0 for k in BAD_KINDS}
    for b in bad:
        counts[b.kind] += 1
    manifest.bad_rows[spec.id][d] = counts
    if last:
        return  # the last day's labels have not arrived yet
    labels = _labels(spec, frame, truth, bad, day, _rng(seed, spec.id, day, 2))
    key = f"{drop_prefix('labels', spec.id, day)}labels.parquet"
    store.write_bytes(key, serialise(labels, "parquet"))
    manifest.files.append(key)
    manifest.label_files[spec.id][d] = key
    manifest.label_rows[spec.id][d] = len(labels)
