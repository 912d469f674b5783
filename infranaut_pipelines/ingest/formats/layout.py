"""Where each serving stack's objects land, and which (kind, model, day) a landing key belongs to.

* ``sagemaker_capture``: ``<prefix>/<endpoint>/<variant>/yyyy/mm/dd/hh/<file>.jsonl``: the day is the path's
  (SageMaker files each record under the UTC hour of its ``inferenceTime``).
* ``sagemaker_ground_truth``: ``<prefix>/yyyy/mm/dd/hh/<file>.jsonl``, dated when the labels were collected;
  they complete the predictions of ``label.lag_days`` earlier (the labels partition is the prediction day).
* ``kserve``: ``<prefix>/<request id>-<request|response>.json``: no date in the key, so the day is the UTC
  day the object was written (its last-modified time).
* ``inference_table``: ``<prefix>/.../date=YYYY-MM-DD/.../<file>.parquet``: the table's ``date`` partition.

:func:`locate` is the one question the landing sensor asks; it returns None for keys of no declared source
(the landing contract's own keys) and raises :class:`BadDropKey` for a key inside a source's folder that
does not follow its layout, so it is rejected with a reason.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from infranaut_pipelines.ingest.contract import BadDropKey, DropKind
from infranaut_pipelines.registry.schema import ModelSpec, Registry

_KSERVE_RE = re.compile(r"^(?P<id>.+)-(?P<type>request|response)\.json$")
_HIVE_DATE_RE = re.compile(r"^date=(\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True)
class Located:
    """A serving-log object's partition. Same fields the scanner reads from a contract key."""

    key: str
    kind: DropKind
    model_id: str
    date: dt.date
    format: str

    @property
    def partition_date(self) -> str:
        return self.date.isoformat()


def _folders(registry: Registry) -> list[tuple[str, str, ModelSpec]]:
    out = []
    for m in registry.models:
        if m.source.format != "infranaut":
            out.append((m.source.capture_prefix, m.source.format, m))
        if m.source.ground_truth is not None:
            out.append((m.source.ground_truth.prefix + "/", "sagemaker_ground_truth", m))
    return out


def locate(key: str, last_modified: dt.datetime, registry: Registry) -> Located | None:
    """(kind, model, day) of a serving-log key, None for a key no source declares, BadDropKey for a bad one."""
    for folder, fmt, spec in _folders(registry):
        if key.startswith(folder):
            rest = key[len(folder):]
            if fmt == "sagemaker_capture":
                return Located(key, "inferences", spec.id, _hour_path_day(key, rest, "<endpoint>/<variant>/"), fmt)
            if fmt == "sagemaker_ground_truth":
                collected = _hour_path_day(key, rest, "")
                return Located(key, "labels", spec.id, collected - dt.timedelta(days=spec.label.lag_days), fmt)
            if fmt == "kserve":
                if "/" in rest or not _KSERVE_RE.match(rest):
                    raise BadDropKey(key, f"expected {folder}<request id>-<request|response>.json (KServe payload logger, json format)")
                return Located(key, "inferences", spec.id, last_modified.astimezone(dt.timezone.utc).date(), fmt)
            return Located(key, "inferences", spec.id, _hive_day(key, rest, folder), fmt)
    return None


def owner(key: str, registry: Registry) -> str | None:
    """The model whose source folder holds ``key`` (so a rejected key is filed under its model), else None."""
    return next((spec.id for folder, _, spec in _folders(registry) if key.startswith(folder)), None)


def _hour_path_day(key: str, rest: str, what: str) -> dt.date:
    parts = rest.split("/")
    expected = f"expected <prefix>/{what}yyyy/mm/dd/hh/<file>.jsonl (SageMaker capture layout)"
    if len(parts) != 5 or not all(p.isdigit() for p in parts[:4]) or [len(p) for p in parts[:4]] != [4, 2, 2, 2]:
        raise BadDropKey(key, expected)
    if not parts[4].endswith(".jsonl"):
        raise BadDropKey(key, f"unsupported file {parts[4]!r}: SageMaker capture files end in .jsonl")
    try:
        day = dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        raise BadDropKey(key, f"invalid date {'/'.join(parts[:3])!r} in the capture path") from None
    if int(parts[3]) > 23:
        raise BadDropKey(key, f"invalid hour {parts[3]!r} in the capture path")
    return day


def _hive_day(key: str, rest: str, folder: str) -> dt.date:
    parts = rest.split("/")
    if not parts[-1].endswith(".parquet"):
        raise BadDropKey(key, f"unsupported file {parts[-1]!r}: an inference-table export is parquet")
    days = [m.group(1) for p in parts[:-1] if (m := _HIVE_DATE_RE.match(p))]
    if len(days) != 1:
        raise BadDropKey(key, f"expected {folder}date=YYYY-MM-DD/<file>.parquet (the table's date partition)")
    try:
        return dt.date.fromisoformat(days[0])
    except ValueError:
        raise BadDropKey(key, f"invalid date {days[0]!r} in 'date='") from None


def hour_of(key: str) -> str | None:
    """``YYYY-MM-DDTHH:00:00+00:00`` of an hour-folder key (ground truth's collection time), else None."""
    parts = key.split("/")
    if len(parts) >= 5 and all(p.isdigit() for p in parts[-5:-1]):
        y, m, d, h = parts[-5:-1]
        return f"{y}-{m}-{d}T{h}:00:00+00:00"
    return None


def listing_prefixes(spec: ModelSpec, kind: DropKind, day: dt.date) -> list[str]:
    """Where the ingestion of (kind, model, day) lists: the folders :func:`locate` maps to that partition."""
    src = spec.source
    if kind == "labels":
        if src.ground_truth is None:
            return []
        collected = day + dt.timedelta(days=spec.label.lag_days)
        return [f"{src.ground_truth.prefix}/{collected:%Y/%m/%d}/"]
    if src.format == "sagemaker_capture":
        return [f"{src.capture_prefix}{day:%Y/%m/%d}/"]
    # KServe keys carry no date, and an export may put date= at any depth: list the folder, filter by locate.
    return [src.capture_prefix]
