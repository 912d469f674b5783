"""Turn a reader failure into a reason the team that made the drop can act on.

Only runs after polars has already failed, so it may re-read the file slowly to find *where* the
problem is (byte offset of bad UTF-8, line number of bad JSON) instead of passing on a library error.
"""

from __future__ import annotations

import codecs
import csv
import json
from pathlib import Path

_CHUNK = 4 * 1024 * 1024
_MAX_JSON_LINES_CHECKED = 5_000_000  # beyond this, stop hunting and give polars' message


class UnreadableDrop(Exception):
    """The drop cannot be read at all; ``reason`` is shown to users (no traceback needed)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


def find_invalid_utf8(path: Path) -> tuple[int, int] | None:
    """(byte offset, 1-based line) of the first byte that is not valid UTF-8, or None if all valid."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    lines_before = 0
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            try:
                decoder.decode(chunk, final=False)
            except UnicodeDecodeError as err:
                # err.start counts into the decoder's pending bytes + this chunk.
                pending = len(err.object) - len(chunk)
                bad_at = offset - pending + err.start
                line = lines_before + err.object[: err.start].count(b"\n") + 1
                return bad_at, line
            offset += len(chunk)
            lines_before += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return offset, lines_before + 1  # file ends in the middle of a multi-byte character
    return None


def find_bad_json_line(path: Path) -> str | None:
    with path.open("rb") as f:
        for lineno, line in enumerate(f, start=1):
            if lineno > _MAX_JSON_LINES_CHECKED:
                return None
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as err:
                return f"line {lineno} is not valid JSON ({err.msg} at column {err.colno})"
            except UnicodeDecodeError:
                return f"line {lineno} is not valid UTF-8"
            if not isinstance(obj, dict):
                return f"line {lineno} is a JSON {type(obj).__name__}, expected an object {{...}}"
    return None


def find_ragged_csv_row(path: Path) -> str | None:
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None:
            return None
        for row in reader:
            if len(row) > len(header):
                return (
                    f"line {reader.line_num} has {len(row)} fields but the header has {len(header)} "
                    "(unquoted separator in a value?)"
                )
    return None


def _has_parquet_magic(path: Path) -> tuple[bool, bool]:
    size = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(4)
        if size < 8:
            return head == b"PAR1", False
        f.seek(size - 4)
        return head == b"PAR1", f.read(4) == b"PAR1"


def diagnose_failure(path: Path, fmt: str, exc: BaseException) -> str:
    """A user-facing reason why ``path`` (already decompressed) could not be read as ``fmt``."""
    if isinstance(exc, UnreadableDrop):
        return exc.reason
    msg = _first_line(exc)
    if fmt == "parquet":
        head_ok, tail_ok = _has_parquet_magic(path)
        if not head_ok:
            return "not a Parquet file (it does not start with the 'PAR1' magic bytes)"
        if not tail_ok:
            return "Parquet file is truncated: the footer is missing (incomplete upload?)"
        return f"Parquet file is corrupt and cannot be read: {msg}"
    bad = find_invalid_utf8(path)
    if bad is not None:
        return f"file is not valid UTF-8: first invalid byte at offset {bad[0]} (line {bad[1]}); re-export as UTF-8"
    if fmt == "jsonl":
        with path.open("rb") as f:
            if not f.read(_CHUNK).strip() and f.read(1) == b"":
                return "JSON Lines file contains no records (only blank lines)"
        where = find_bad_json_line(path)
        if where:
            return f"malformed JSON Lines file: {where}"
        return f"cannot read JSON Lines file: {msg}"
    if "empty" in msg.lower():
        return "CSV file has no header and no rows"
    ragged = find_ragged_csv_row(path)
    if ragged:
        return f"malformed CSV file: {ragged}"
    return f"cannot parse CSV file: {msg}"
