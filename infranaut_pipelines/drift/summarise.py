"""Turn raw rows into summaries, batch by batch, all columns of a batch in parallel.

numpy's sort releases the GIL, so a two-thread pool sorts two columns at once on the 2-core
machines this runs on; polars does the casting, null counting and value counts.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import polars as pl

from infranaut_pipelines.drift.categorical import CategoricalSummary
from infranaut_pipelines.drift.numeric import NumericSummary

_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="drift")


class ColumnTypeError(ValueError):
    pass


def numeric_values(s: pl.Series) -> tuple[np.ndarray, int, int]:
    """Float64 array (nulls as NaN), true null count, and count of values that were not numbers."""
    n_null = s.null_count()
    if s.dtype.is_numeric() or s.dtype == pl.Boolean:
        f = s.cast(pl.Float64)
        unparsed = 0
    else:
        f = s.cast(pl.String, strict=False).str.strip_chars().cast(pl.Float64, strict=False)
        unparsed = f.null_count() - n_null
        if unparsed and unparsed == s.len() - n_null:
            raise ColumnTypeError(f"expected numeric values, got {s.dtype} that does not parse as numbers")
    return f.to_numpy(), n_null, unparsed


def add_numeric(summary: NumericSummary, s: pl.Series) -> None:
    arr, n_null, unparsed = numeric_values(s)
    finite = np.isfinite(arr)
    nonfinite = arr[~finite]
    n_inf = int(np.isinf(nonfinite).sum())
    summary.n_null += n_null + unparsed
    summary.n_unparsed += unparsed
    summary.n_inf += n_inf
    summary.n_nan += int(nonfinite.size) - n_inf - n_null - unparsed
    xs = np.sort(arr[finite] if not finite.all() else arr)
    summary.add_sorted(xs)


def iter_batches(frame: pl.DataFrame | pl.LazyFrame, rows: int) -> Iterator[pl.DataFrame]:
    if isinstance(frame, pl.LazyFrame):
        yield from frame.collect_batches(chunk_size=rows)
        return
    for off in range(0, frame.height, rows):
        yield frame.slice(off, rows)


def summarise_batch(
    batch: pl.DataFrame,
    numeric: dict[str, NumericSummary],
    categorical: dict[str, CategoricalSummary],
    errors: dict[str, str],
) -> None:
    """Add one batch to every column's summary; a column that fails gets an error, the others go on."""

    def one_numeric(name: str) -> None:
        if name in errors:
            return
        summ = numeric[name]
        try:
            add_numeric(summ, batch.get_column(name))
        except Exception as exc:  # noqa: BLE001 - one bad column must not stop the others
            errors[name] = f"{type(exc).__name__}: {exc}"

    def one_categorical(name: str) -> None:
        if name in errors:
            return
        try:
            categorical[name].add_series(batch.get_column(name))
        except Exception as exc:  # noqa: BLE001
            errors[name] = f"{type(exc).__name__}: {exc}"

    futures = [_POOL.submit(one_numeric, n) for n in numeric] + [_POOL.submit(one_categorical, n) for n in categorical]
    for f in futures:
        f.result()
