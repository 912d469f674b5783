"""The landing-zone data contract: where drops go and which columns they carry.

Inference drops: ``inferences/<model_id>/dt=YYYY-MM-DD/<file>``
Label drops:     ``labels/<model_id>/dt=YYYY-MM-DD/<file>`` where ``dt`` is the day of the *predictions*
                 being labelled (labels arrive later; the partition they complete is the prediction day).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

DropKind = Literal["inferences", "labels"]

# Columns every inference row carries besides the model's features and prediction.
STANDARD_INFERENCE_COLUMNS: dict[str, str] = {
    "prediction_id": "string",
    "model_id": "string",
    "model_version": "string",
    "timestamp": "datetime (UTC)",
    "latency_ms": "float",
    "status": "string: 'ok' or 'error' (an errored call has no prediction)",
}
STANDARD_LABEL_COLUMNS: dict[str, str] = {"prediction_id": "string"}

SUPPORTED_EXTENSIONS = (".parquet", ".csv", ".csv.gz", ".jsonl", ".jsonl.gz")
STATUS_VALUES = ("ok", "error")

_MODEL_RE = re.compile(r"^[a-z][a-z0-9_\-]{1,62}$")


class BadDropKey(ValueError):
    """A landing key that does not follow the contract; ``reason`` is shown to users."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}")
        self.key = key
        self.reason = reason


@dataclass(frozen=True)
class DropKey:
    key: str
    kind: DropKind
    model_id: str
    date: dt.date
    filename: str
    extension: str

    @property
    def partition_date(self) -> str:
        return self.date.isoformat()


def file_extension(name: str) -> str | None:
    lower = name.lower()
    for ext in sorted(SUPPORTED_EXTENSIONS, key=len, reverse=True):
        if lower.endswith(ext):
            return ext
    return None


def parse_drop_key(key: str) -> DropKey:
    """Parse a landing key or raise :class:`BadDropKey` with a reason a user can act on."""
    if key.startswith("/") or "\\" in key:
        raise BadDropKey(key, "absolute or backslash paths are not allowed")
    parts = key.split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise BadDropKey(key, "empty, '.' or '..' path segments are not allowed")
    if len(parts) != 4:
        raise BadDropKey(key, "expected <inferences|labels>/<model_id>/dt=YYYY-MM-DD/<file>")
    kind, model_id, dt_part, filename = parts
    if kind not in ("inferences", "labels"):
        raise BadDropKey(key, f"unknown drop kind {kind!r}: expected 'inferences' or 'labels'")
    if not _MODEL_RE.match(model_id):
        raise BadDropKey(key, f"invalid model id {model_id!r}")
    if not dt_part.startswith("dt="):
        raise BadDropKey(key, "missing 'dt=YYYY-MM-DD' folder")
    try:
        day = dt.date.fromisoformat(dt_part[3:])
    except ValueError:
        raise BadDropKey(key, f"invalid date {dt_part[3:]!r} in 'dt='") from None
    if len(dt_part) != 13:
        raise BadDropKey(key, f"date {dt_part[3:]!r} must be written YYYY-MM-DD")
    ext = file_extension(filename)
    if ext is None:
        raise BadDropKey(key, f"unsupported file type {filename!r}: use one of {', '.join(SUPPORTED_EXTENSIONS)}")
    return DropKey(key=key, kind=kind, model_id=model_id, date=day, filename=filename, extension=ext)  # type: ignore[arg-type]


def drop_prefix(kind: DropKind, model_id: str, day: dt.date | str) -> str:
    day_s = day.isoformat() if isinstance(day, dt.date) else day
    return f"{kind}/{model_id}/dt={day_s}/"
