"""Read one landing drop (parquet, csv, jsonl, optionally gzipped) into the raw contract.

The raw contract (see :func:`infranaut_pipelines.ingest.coerce.contract_columns`) is the typed,
registry-shaped frame every later stage reads, plus lineage (``_source_file``, ``_row_number``) and
``_ingest_errors``: a list of per-row coercion problems, so a bad value is quarantined downstream
rather than silently turned into a null.

Files are scanned lazily and collected once, so a 2 GB drop is held in memory once (as the typed
result), not as raw text and typed copy. Gzipped text is streamed to a temporary file first because
polars cannot scan compressed CSV/NDJSON lazily.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import shutil
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import polars as pl

from infranaut_pipelines.ingest.coerce import (
    ERROR_SEPARATOR,
    ColumnRule,
    coerce_error,
    coerce_value,
    contract_columns,
    prestage,
)
from infranaut_pipelines.ingest.diagnose import UnreadableDrop, diagnose_failure
from infranaut_pipelines.registry.schema import ModelSpec

__all__ = [
    "UnreadableDrop",
    "DropReport",
    "read_drop",
    "read_drop_with_report",
    "open_drop",
    "iter_drop_batches",
    "raw_contract_schema",
    "read_records",
]

Kind = Literal["inferences", "labels"]
LINEAGE_COLUMNS = ("_source_file", "_row_number", "_ingest_errors")
_HEADER_PROBE_CHARS = 1024 * 1024


@dataclass
class DropReport:
    """What reading a drop found besides the rows: shown to the team that made the drop."""

    source_key: str
    rows: int = 0
    rows_with_errors: int = 0
    extra_columns: list[str] = field(default_factory=list)  # in the file, not in the registry: dropped
    missing_columns: list[str] = field(default_factory=list)  # in the registry, not in the file


def raw_contract_schema(spec: ModelSpec, kind: Kind) -> pl.Schema:
    """The exact output schema of :func:`read_drop` for this model and kind (also for empty frames)."""
    cols = [(c.name, c.dtype) for c in contract_columns(spec, kind)]
    cols += [("_source_file", pl.Utf8()), ("_row_number", pl.Int64()), ("_ingest_errors", pl.List(pl.Utf8()))]
    return pl.Schema(cols)


def _joined_errors(errors: list[pl.Expr]) -> pl.Expr:
    # Joining to one string and splitting (next step) is ~15x cheaper than concat_list + drop_nulls over
    # ~15 mostly-null columns. Messages never contain the separator (coerce_error replaces it in values).
    return pl.concat_str(errors, separator=ERROR_SEPARATOR, ignore_nulls=True)


def _split_errors(joined: pl.Expr) -> pl.Expr:
    return pl.when(joined != "").then(joined).str.split(ERROR_SEPARATOR).fill_null(pl.lit([], dtype=pl.List(pl.Utf8)))


def _optimizations(fmt: str) -> pl.QueryOptFlags:
    # Polars skips ragged-line detection for CSV columns it does not parse; parse them all so a row with
    # more fields than the header fails loudly instead of losing the overflow.
    # Common-subexpression elimination rewrites the mostly-null error expressions into full-width cached
    # columns and costs ~6x on a 1M-row parquet drop; the plan is already staged so each parse runs once.
    return pl.QueryOptFlags(projection_pushdown=fmt != "csv", comm_subexpr_elim=False)


def _clean_header(names: list[str]) -> list[str]:
    # Spreadsheet exports add a BOM and stray spaces around header names; neither is a different column.
    return [n.lstrip("\ufeff").strip() for n in names]


def _duplicated_header_names(path: Path) -> list[str]:
    """Names the CSV header gives to more than one column, after the same cleaning polars applies.

    Polars renames a repeat to ``<name>_duplicated_0`` and reads the first: which of two ``amount``
    columns holds the real value is a guess, so the file is refused rather than half-read.
    """
    # Bounded read: an unclosed quote on line 1 must not pull a 2 GB file into memory.
    with path.open("r", encoding="utf-8", errors="replace", newline="") as f:
        header = next(csv.reader(io.StringIO(f.read(_HEADER_PROBE_CHARS))), [])
    seen: set[str] = set()
    repeated: list[str] = []
    for name in _clean_header(header):
        if name and name in seen and name not in repeated:
            repeated.append(name)
        seen.add(name)
    return repeated


@contextlib.contextmanager
def _decompressed(path: Path) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="infranaut-drop-") as tmp:
        out = Path(tmp) / path.name.removesuffix(".gz")
        try:
            with gzip.open(path, "rb") as src, out.open("wb") as dst:
                shutil.copyfileobj(src, dst, 4 * 1024 * 1024)
        except EOFError:
            raise UnreadableDrop("gzip stream is truncated (incomplete upload?)") from None
        except (gzip.BadGzipFile, zlib.error, OSError) as exc:
            raise UnreadableDrop(f"not a valid gzip file: {exc}") from None
        if out.stat().st_size == 0:
            raise UnreadableDrop("file is empty after gzip decompression")
        yield out


def _scan_source(path: Path, fmt: str, columns: list[ColumnRule]) -> pl.LazyFrame:
    """A lazy frame over the file, columns as the file has them (text formats: all Utf8)."""
    if fmt == "parquet":
        return pl.scan_parquet(path)
    if fmt == "csv":
        if repeated := _duplicated_header_names(path):
            raise UnreadableDrop(
                f"CSV header names column(s) {', '.join(repr(n) for n in repeated)} more than once; "
                "keep one column per name and re-upload"
            )
        lf = pl.scan_csv(path, infer_schema=False, with_column_names=_clean_header, raise_if_empty=True)
        names = lf.collect_schema().names()
        expected = {c.name for c in columns}
        if not expected.intersection(names):
            shown = ", ".join(names[:5])
            raise UnreadableDrop(
                f"CSV has no header row: the first line ({shown}) names none of the expected columns "
                f"({', '.join(c.name for c in columns[:4])}, ...)"
            )
        return lf
    # NDJSON keys may differ per line, so infer the key set over the whole file, then read every value as
    # text: a number in one line and a string in the next must both reach coercion, not fail the read.
    keys = pl.scan_ndjson(path, infer_schema_length=None).collect_schema().names()
    names = list(dict.fromkeys(keys + [c.name for c in columns]))
    lf = pl.scan_ndjson(path, schema={n: pl.Utf8 for n in names})
    present = set(keys)
    return lf.select([pl.col(n) for n in names if n in present])


def _to_contract(
    src: pl.LazyFrame, schema: pl.Schema, columns: list[ColumnRule], source_key: str, prior_errors: str | None = None
) -> pl.LazyFrame:
    """The raw contract over ``src``; ``prior_errors``: a List(Utf8) column of ``src`` with problems found before
    coercion (a decoder's per-record reasons), listed first in ``_ingest_errors``."""
    # Steps, so each conversion runs once: fast parses of the common spelling, typed values next to
    # the raw columns, errors comparing the two, then the contract's columns in order.
    pre = {i: e.alias(f"__pre_{i}") for i, c in enumerate(columns) if (e := prestage(c, schema.get(c.name))) is not None}
    typed = [
        coerce_value(c, schema.get(c.name), pl.col(f"__pre_{i}") if i in pre else None).alias(f"__typed_{i}")
        for i, c in enumerate(columns)
    ]
    errors = [coerce_error(c, schema.get(c.name), pl.col(f"__typed_{i}")) for i, c in enumerate(columns)]
    if prior_errors is not None:
        prior = pl.col(prior_errors)
        errors.insert(0, pl.when(prior.list.len() > 0).then(prior.list.join(ERROR_SEPARATOR)))
    keep = [c.name for c in columns if c.name in schema] + ([prior_errors] if prior_errors else [])
    return (
        # Extras are dropped before anything else, so a stray "_row_number" column cannot collide.
        src.select(keep)
        .with_row_index("_row_number", offset=1)
        .with_columns(list(pre.values()))
        .with_columns(typed)
        .with_columns(_joined_errors(errors).alias("_ingest_errors"))
        .with_columns(_split_errors(pl.col("_ingest_errors")))
        .select(
            *[pl.col(f"__typed_{i}").alias(c.name) for i, c in enumerate(columns)],
            pl.lit(source_key, dtype=pl.Utf8).alias("_source_file"),
            pl.col("_row_number").cast(pl.Int64),
            "_ingest_errors",
        )
    )


def read_records(
    rows: list[dict[str, object]], errors: list[list[str]], spec: ModelSpec, kind: Kind, source_key: str
) -> pl.DataFrame:
    """Decoded serving-log records (text values, see ingest/formats) into the raw contract, typed like a drop.

    ``errors[i]`` are row i's decoding problems; they lead its ``_ingest_errors`` so validation quarantines it.
    Columns absent from every record (latency in SageMaker capture) are null, not an error per row.
    """
    columns = contract_columns(spec, kind)
    names = [c.name for c in columns]
    data: dict[str, list[object]] = {n: [r.get(n) for r in rows] for n in names}
    data["__decode_errors"] = [[e.replace(ERROR_SEPARATOR, " ") for e in errs] for errs in errors]
    schema = {**{n: pl.Utf8 for n in names}, "__decode_errors": pl.List(pl.Utf8)}
    frame = pl.DataFrame(data, schema=schema)
    return _to_contract(frame.lazy(), frame.schema, columns, source_key, "__decode_errors").collect(
        optimizations=_optimizations("records")
    )


@contextlib.contextmanager
def open_drop(path: Path, extension: str, spec: ModelSpec, kind: Kind, source_key: str) -> Iterator[
    tuple[pl.LazyFrame, DropReport]
]:
    """A lazy frame in the raw contract, valid inside the ``with`` (a gzip drop's temp file lives there).

    Collect it, sink it, or stream it with ``collect_batches``; polars errors raised while doing so
    inside the block are not translated, and for CSV pass
    ``optimizations=pl.QueryOptFlags(projection_pushdown=False)`` or ragged rows go unnoticed, so prefer
    :func:`read_drop` / :func:`iter_drop_batches`.
    """
    with _open(path, extension, spec, kind, source_key) as (lf, report, _local, _fmt):
        yield lf, report


@contextlib.contextmanager
def _open(path: Path, extension: str, spec: ModelSpec, kind: Kind, source_key: str) -> Iterator[
    tuple[pl.LazyFrame, DropReport, Path, str]
]:
    path = Path(path)
    ext = extension.lower()
    fmt = {".parquet": "parquet", ".csv": "csv", ".csv.gz": "csv", ".jsonl": "jsonl", ".jsonl.gz": "jsonl"}.get(ext)
    if fmt is None:
        raise UnreadableDrop(f"unsupported file type {extension!r}")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UnreadableDrop(f"cannot open file: {exc.strerror}") from None
    if size == 0:
        raise UnreadableDrop("file is empty (0 bytes)")
    columns = contract_columns(spec, kind)
    with contextlib.ExitStack() as stack:
        local = stack.enter_context(_decompressed(path)) if ext.endswith(".gz") else path
        try:
            src = _scan_source(local, fmt, columns)
            schema = src.collect_schema()
        except UnreadableDrop:
            raise
        except Exception as exc:  # noqa: BLE001 - any reader failure becomes a user-facing reason
            raise UnreadableDrop(diagnose_failure(local, fmt, exc)) from None
        wanted = {c.name for c in columns}
        report = DropReport(
            source_key=source_key,
            extra_columns=[n for n in schema.names() if n not in wanted],
            missing_columns=[c.name for c in columns if c.name not in schema],
        )
        lf = _to_contract(src, schema, columns, source_key)
        yield lf, report, local, fmt


def read_drop_with_report(
    path: Path, extension: str, spec: ModelSpec, kind: Kind, source_key: str
) -> tuple[pl.DataFrame, DropReport]:
    """Read a whole drop into the raw contract; raise :class:`UnreadableDrop` if it cannot be read at all."""
    with _open(path, extension, spec, kind, source_key) as (lf, report, local, fmt):
        try:
            df = lf.collect(engine="streaming", optimizations=_optimizations(fmt))
        except Exception as exc:  # noqa: BLE001 - errors found mid-file (bad UTF-8 at byte N, bad JSON line)
            # Diagnose against the (decompressed) text, whose byte offsets and lines the user can find.
            raise UnreadableDrop(diagnose_failure(local, fmt, exc)) from None
    report.rows = df.height
    report.rows_with_errors = int((df["_ingest_errors"].list.len() > 0).sum())
    return df, report


def read_drop(path: Path, extension: str, spec: ModelSpec, kind: Kind, source_key: str) -> pl.DataFrame:
    """The raw-contract frame of one drop (see module docstring).

    Extra columns are dropped silently here: callers that show results to users (ingestion) use
    :func:`read_drop_with_report`, whose report lists them.
    """
    return read_drop_with_report(path, extension, spec, kind, source_key)[0]


def iter_drop_batches(
    path: Path, extension: str, spec: ModelSpec, kind: Kind, source_key: str, batch_rows: int = 1_000_000
) -> Iterator[pl.DataFrame]:
    """Stream a drop in raw-contract batches of about ``batch_rows`` rows, in file order.

    For drops too big to hold typed in memory at once. An unreadable file raises :class:`UnreadableDrop`
    before the first batch when detectable from the header/footer, else mid-stream.
    """
    with _open(path, extension, spec, kind, source_key) as (lf, _report, local, fmt):
        try:
            yield from lf.collect_batches(chunk_size=batch_rows, maintain_order=True, optimizations=_optimizations(fmt))
        except Exception as exc:  # noqa: BLE001
            raise UnreadableDrop(diagnose_failure(local, fmt, exc)) from None
