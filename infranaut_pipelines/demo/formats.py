"""Serialise a frame to the landing formats, byte-for-byte reproducibly (gzip without a timestamp, fixed text).

CSV and JSONL carry values as text the way producers write them: ISO-8601 UTC timestamps, ``true``/``false``,
empty (CSV) or ``null`` (JSONL) for missing values. In CSV a cell may be overridden with arbitrary text so that
a bad number is really unparseable.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import math

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


def _iso(ts: pd.Timestamp) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}+00:00"


def _python_values(series: pd.Series) -> list[object]:
    """Column values as plain Python objects, ``None`` for missing."""
    if isinstance(series.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(series):
        return [None if pd.isna(v) else _iso(v) for v in series]
    out = series.tolist()
    return [None if (v is None or (isinstance(v, float) and math.isnan(v))) else v for v in out]


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def to_csv(frame: pd.DataFrame, overrides: dict[tuple[int, str], str] | None = None) -> bytes:
    """``overrides`` maps (row position, column) to the literal text written in that cell."""
    cols = {c: _python_values(frame[c]) for c in frame.columns}
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(frame.columns)
    overrides = overrides or {}
    for i in range(len(frame)):
        writer.writerow([overrides.get((i, c), _text(cols[c][i])) for c in frame.columns])
    return buf.getvalue().encode("utf-8")


def to_jsonl(frame: pd.DataFrame) -> bytes:
    cols = {c: _python_values(frame[c]) for c in frame.columns}
    lines = [
        json.dumps({c: cols[c][i] for c in frame.columns}, separators=(",", ":"), allow_nan=False)
        for i in range(len(frame))
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def to_parquet(frame: pd.DataFrame) -> bytes:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="snappy", coerce_timestamps="us")
    return buf.getvalue()


def serialise(frame: pd.DataFrame, ext: str, overrides: dict[tuple[int, str], str] | None = None) -> bytes:
    """``ext`` without the leading dot: parquet, csv, csv.gz, jsonl, jsonl.gz."""
    frame = frame.reset_index(drop=True)
    if ext == "parquet":
        return to_parquet(frame)
    base, _, comp = ext.partition(".")
    if base == "csv":
        data = to_csv(frame, overrides)
    elif base == "jsonl":
        data = to_jsonl(frame)
    else:
        raise ValueError(f"unsupported demo format {ext!r}")
    if comp == "gz":
        return gzip.compress(data, compresslevel=6, mtime=0)
    if comp:
        raise ValueError(f"unsupported compression {comp!r}")
    return data
