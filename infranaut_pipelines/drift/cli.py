"""``infranaut drift REFERENCE CURRENT``: a one-off drift check on two files (parquet or CSV)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import polars as pl

from infranaut_pipelines.drift import ColumnSpec, DriftSettings, build_sketch, compare


def _read(path: str) -> pl.DataFrame:
    p = Path(path)
    if p.suffix.lower() in (".parquet", ".pq"):
        return pl.read_parquet(p)
    if p.suffix.lower() in (".csv", ".txt"):
        return pl.read_csv(p, infer_schema_length=10_000)
    raise ValueError(f"{path}: expected a .parquet or .csv file")


def _split(s: str | None) -> list[str]:
    return [x.strip() for x in s.split(",") if x.strip()] if s else []


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="infranaut drift", description="Compare CURRENT with REFERENCE for drift.")
    ap.add_argument("reference")
    ap.add_argument("current")
    ap.add_argument("--json", dest="json_path", help="write the JSON report here")
    ap.add_argument("--html", dest="html_path", help="write the HTML report here")
    ap.add_argument("--columns", help="comma-separated columns to check (default: all columns of REFERENCE)")
    ap.add_argument("--categorical", help="comma-separated columns to treat as categorical even if numeric")
    ap.add_argument("--drift-share", type=float, default=0.5)
    args = ap.parse_args(argv)
    try:
        ref, cur = _read(args.reference), _read(args.current)
    except Exception as exc:  # noqa: BLE001 - a CLI reports, it does not trace back
        print(f"error: {exc}", file=sys.stderr)
        return 2
    names = _split(args.columns) or ref.columns
    unknown = [n for n in names if n not in ref.columns]
    if unknown:
        print(f"error: columns not in the reference: {', '.join(unknown)}", file=sys.stderr)
        return 2
    cat = set(_split(args.categorical))
    specs = [ColumnSpec(n, "numeric" if ref.schema[n].is_numeric() and n not in cat else "categorical")
             for n in names]
    settings = DriftSettings(drift_share=args.drift_share)
    result = compare(build_sketch(ref, specs, settings), cur, specs, settings)
    width = max([len("column"), *(len(n) for n in names)])
    print(f"{'column':<{width}}  {'method':<13}  {'score':>10}  {'threshold':>9}  drifted")
    for c in result.columns:
        score = "" if c.score is None else f"{c.score:.4g}"
        thr = "" if c.threshold is None else f"{c.threshold:.4g}"
        verdict = f"error: {c.error}" if c.error else ("YES" if c.drifted else "no")
        print(f"{c.name:<{width}}  {c.method or '-':<13}  {score:>10}  {thr:>9}  {verdict}")
    print(f"dataset drift: {'YES' if result.dataset_drift else 'no'} "
          f"({result.n_drifted} of {len(result.features)} columns, share {result.drift_share:.2f}, "
          f"threshold {settings.drift_share})")
    ctx = {"reference": args.reference, "current": args.current}
    if args.json_path:
        from infranaut_pipelines.reports import render_json

        Path(args.json_path).write_text(render_json(result, ctx))
    if args.html_path:
        from infranaut_pipelines.reports import render_html

        Path(args.html_path).write_text(render_html(result, "Drift report", ctx))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
