"""``infranaut drift REFERENCE CURRENT``: a one-off drift check on two files (parquet or CSV).

Exit status, so a script or CI step can gate on it: 0 no dataset drift, 1 dataset drift,
2 the check could not be made (bad arguments, unreadable files, no column could be compared).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import polars as pl

from infranaut_pipelines.drift import ColumnSpec, DriftSettings, build_sketch, compare
from infranaut_pipelines.drift.spec import MIN_ROWS, STATUS_TOO_FEW

EXIT_OK, EXIT_DRIFT, EXIT_ERROR = 0, 1, 2
EPILOG = """exit status: 0 no dataset drift, 1 dataset drift found, 2 error (bad arguments, unreadable
input, or no column could be compared). Columns with fewer than --min-rows usable current values are
listed as "too few rows" and left out of the drift share."""


def _scan(path: str) -> tuple[pl.LazyFrame, pl.Schema]:
    """A lazy scan and its schema (read now, so a missing or unreadable file is an error up front).

    Lazy so that only the compared columns are read, and the current file is streamed in batches
    (``compare`` takes a LazyFrame): a 10M-row day never has to fit in memory at once."""
    p = Path(path)
    if p.suffix.lower() in (".parquet", ".pq"):
        lf = pl.scan_parquet(p)
    elif p.suffix.lower() in (".csv", ".txt"):
        lf = pl.scan_csv(p, infer_schema_length=10_000)
    else:
        raise ValueError(f"{path}: expected a .parquet or .csv file")
    if not p.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    return lf, lf.collect_schema()


def _split(s: str | None) -> list[str]:
    return [x.strip() for x in s.split(",") if x.strip()] if s else []


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="infranaut drift", description="Compare CURRENT with REFERENCE for drift.",
                                 epilog=EPILOG)
    ap.add_argument("reference")
    ap.add_argument("current")
    ap.add_argument("--json", dest="json_path", help="write the JSON report here")
    ap.add_argument("--html", dest="html_path", help="write the HTML report here")
    ap.add_argument("--columns", help="comma-separated columns to check (default: all columns of REFERENCE)")
    ap.add_argument("--categorical", help="comma-separated columns to treat as categorical even if numeric")
    ap.add_argument("--drift-share", type=float, default=0.5,
                    help="dataset drift when at least this share of scored columns drift (default 0.5)")
    ap.add_argument("--min-rows", type=int, default=MIN_ROWS,
                    help=f"fewest usable values for a column to be scored (default {MIN_ROWS})")
    ap.add_argument("--evidently-compatible", action="store_true",
                    help="reproduce Evidently 0.7's verdicts: goodness-of-fit chi-square, no minimum size")
    ap.add_argument("--size-aware-thresholds", action="store_true",
                    help="raise distance thresholds on small current files to what an unchanged file of that "
                         "size reads (fewer false alarms below ~1,000 rows)")
    try:
        args = ap.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad arguments, 0 for --help
        return EXIT_ERROR if exc.code else EXIT_OK
    if args.min_rows < 0 or not 0 < args.drift_share <= 1:
        print("error: --min-rows must be >= 0 and --drift-share in (0, 1]", file=sys.stderr)
        return EXIT_ERROR
    try:
        (ref_scan, ref_schema), (cur_scan, cur_schema) = _scan(args.reference), _scan(args.current)
    except Exception as exc:  # noqa: BLE001 - a CLI reports, it does not trace back
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    names = _split(args.columns) or ref_schema.names()
    unknown = [n for n in names if n not in ref_schema]
    if unknown:
        print(f"error: columns not in the reference: {', '.join(unknown)}", file=sys.stderr)
        return EXIT_ERROR
    try:
        ref = ref_scan.select(names).collect()
    except Exception as exc:  # noqa: BLE001
        print(f"error: {args.reference}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    # columns the current file lacks are reported per column by compare
    cur = cur_scan.select([n for n in names if n in cur_schema])
    cat = set(_split(args.categorical))
    specs = [ColumnSpec(n, "numeric" if ref.schema[n].is_numeric() and n not in cat else "categorical")
             for n in names]
    settings = DriftSettings(drift_share=args.drift_share, min_rows=args.min_rows,
                             evidently_compatible=args.evidently_compatible,
                             size_aware_thresholds=args.size_aware_thresholds)
    try:
        result = compare(build_sketch(ref, specs, settings), cur, specs, settings)
    except Exception as exc:  # noqa: BLE001
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    width = max([len("column"), *(len(n) for n in names)])
    print(f"{'column':<{width}}  {'method':<13}  {'score':>10}  {'threshold':>9}  drifted")
    for c in result.columns:
        score = "" if c.score is None else f"{c.score:.4g}"
        thr = "" if c.threshold is None else f"{c.threshold:.4g}"
        if c.error:
            verdict = f"error: {c.error}"
        elif c.status == STATUS_TOO_FEW:
            verdict = f"too few rows ({c.stats.get('status_detail', '')})"
        else:
            verdict = "YES" if c.drifted else "no"
        print(f"{c.name:<{width}}  {c.method or '-':<13}  {score:>10}  {thr:>9}  {verdict}")
    scored = [c for c in result.features if c.status == "scored"]
    mv = result.multivariate
    if mv:
        mv_verdict = (f"error: {mv.error}" if mv.error else
                      "too few rows" if mv.status == STATUS_TOO_FEW else ("YES" if mv.drifted else "no"))
        print(f"multivariate drift: {mv_verdict}")
    print(f"dataset drift: {'YES' if result.dataset_drift else 'no'} "
          f"({result.n_drifted} of {len(scored)} scored columns, share {result.drift_share:.2f}, "
          f"threshold {settings.drift_share}; {result.n_too_few_rows} with too few rows)")
    ctx = {"reference": args.reference, "current": args.current}
    if args.json_path:
        from infranaut_pipelines.reports import render_json

        Path(args.json_path).write_text(render_json(result, ctx))
    if args.html_path:
        from infranaut_pipelines.reports import render_html

        Path(args.html_path).write_text(render_html(result, "Drift report", ctx))
    errored = [c.name for c in result.columns if c.error]
    if errored and len(errored) == len(result.columns):
        print("error: no column could be compared", file=sys.stderr)
        return EXIT_ERROR
    if errored:
        print(f"warning: not compared (errors): {', '.join(errored)}", file=sys.stderr)
    return EXIT_DRIFT if result.dataset_drift else EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
