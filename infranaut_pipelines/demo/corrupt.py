"""Deterministic bad rows, so the demo shows validation and quarantine at work.

Every bad row has exactly one defect, is an ``ok`` call (an ``error`` call is legitimately prediction-less), and
is recorded, so a test can check that each one ends up in quarantine and nothing else does.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from infranaut_pipelines.registry.schema import ModelSpec

BAD_KINDS = (
    "out_of_range",  # a numeric feature outside the registry's [min, max]
    "duplicate_id",  # a second row reusing an earlier row's prediction_id in the same file (the later row is bad)
    "timestamp_outside_day",  # a timestamp not on the dt= day of the drop
    "unparseable_number",  # CSV only: a numeric feature written as text no parser reads as a number
    "null_required",  # prediction_id missing
    "invalid_status",  # a status other than 'ok'/'error'
    "unknown_category",  # only where the registry restricts values (allow_new_values: false)
)


@dataclass(frozen=True)
class Segment:
    """Rows ``[start, end)`` of a day's frame go to one file of format ``ext`` (``csv.gz``, ``parquet``...)."""

    start: int
    end: int
    ext: str

    @property
    def is_text(self) -> bool:
        return self.ext.startswith("csv")


@dataclass(frozen=True)
class BadRow:
    kind: str
    row: int  # position in the day's frame
    column: str
    text: str | None = None  # what a CSV writes instead of the value (unparseable_number)


def _numeric_bounded(spec: ModelSpec) -> list[str]:
    return [f.name for f in spec.features if f.is_numeric and (f.min is not None or f.max is not None)]


def _restricted_categories(spec: ModelSpec) -> list[str]:
    return [f.name for f in spec.features if f.type == "category" and f.values and not f.allow_new_values]


def _out_of_range(spec: ModelSpec, col: str, value: float, rng: np.random.Generator) -> float | int:
    f = spec.feature(col)
    above = f.max is not None and (f.min is None or rng.random() < 0.5)
    if above:
        v = float(f.max) * 1.5 + 1.0 if f.max > 0 else float(f.max) + 10.0
    else:
        v = float(f.min) - (abs(float(value)) + 1.0)  # e.g. a refund written with its sign: amount -37.5
    return int(v) if f.type == "int" else round(v, 2)


def _unparseable(value: float, rng: np.random.Generator) -> str:
    s = f"{float(value):.2f}"
    # A decimal comma (locale bug) or a letter O typed for a zero: both defeat float parsing.
    return s.replace(".", ",") if rng.random() < 0.5 else s.replace("0", "O", 1) if "0" in s else s + "O"


def inject_bad_rows(
    frame: pd.DataFrame, spec: ModelSpec, day: dt.date, segments: list[Segment], rng: np.random.Generator
) -> tuple[pd.DataFrame, list[BadRow]]:
    """Corrupt ~0.5-1% of the day's rows in place of clean ones; returns the new frame and what was done."""
    frame = frame.copy()
    n = len(frame)
    numeric = _numeric_bounded(spec)
    restricted = _restricted_categories(spec)
    has_text = any(s.is_text for s in segments)
    kinds = [
        k
        for k in BAD_KINDS
        if (k != "out_of_range" or numeric)
        and (k != "unparseable_number" or (has_text and numeric))
        and (k != "unknown_category" or restricted)
    ]
    n_bad = int(round(n * rng.uniform(0.005, 0.01)))
    segment_of = np.zeros(n, dtype=np.int64)
    for i, s in enumerate(segments):
        segment_of[s.start : s.end] = i
    ok = np.flatnonzero(frame["status"].to_numpy() == "ok")
    # Keep the first row of each file clean: it is the source a duplicate can copy from.
    candidates = np.array([r for r in ok if r not in {s.start for s in segments}])
    chosen = np.sort(rng.choice(candidates, size=min(n_bad, len(candidates)), replace=False))
    order = [kinds[i % len(kinds)] for i in range(len(chosen))]
    order = [order[i] for i in rng.permutation(len(order))]
    taken = set(int(r) for r in chosen)
    bad: list[BadRow] = []
    for r, kind in zip((int(x) for x in chosen), order):
        seg = segments[segment_of[r]]
        if kind == "unparseable_number" and not seg.is_text:
            kind = "out_of_range" if numeric else "null_required"
        if kind == "out_of_range":
            col = numeric[int(rng.integers(len(numeric)))]
            frame.at[r, col] = _out_of_range(spec, col, frame.at[r, col], rng)
            bad.append(BadRow(kind, r, col))
        elif kind == "duplicate_id":
            sources = [s for s in range(seg.start, r) if s not in taken]
            src = sources[int(rng.integers(len(sources)))]
            frame.at[r, "prediction_id"] = frame.at[src, "prediction_id"]
            bad.append(BadRow(kind, r, "prediction_id"))
        elif kind == "timestamp_outside_day":
            shift = pd.Timedelta(days=-1 if rng.random() < 0.5 else 2)
            frame.at[r, "timestamp"] = frame.at[r, "timestamp"] + shift
            bad.append(BadRow(kind, r, "timestamp"))
        elif kind == "unparseable_number":
            col = numeric[int(rng.integers(len(numeric)))]
            bad.append(BadRow(kind, r, col, _unparseable(frame.at[r, col], rng)))
        elif kind == "null_required":
            frame.at[r, "prediction_id"] = None
            bad.append(BadRow(kind, r, "prediction_id"))
        elif kind == "invalid_status":
            frame.at[r, "status"] = "timeout"
            bad.append(BadRow(kind, r, "status"))
        elif kind == "unknown_category":
            col = restricted[int(rng.integers(len(restricted)))]
            frame.at[r, col] = "unknown_value"
            bad.append(BadRow(kind, r, col))
    return frame, bad
