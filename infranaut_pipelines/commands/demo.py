"""``infranaut demo``: write the demo drops and (unless ``--no-run``) materialize every asset for them.

The one demo entry point. ``--landing URL`` writes the drops to another store (a folder or a bucket) without
running anything, e.g. to fill a test bucket; ``--manifest`` keeps the manifest (files, rows, bad rows, the
planted drift) for checking what the pipeline found against what was planted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from collections.abc import Callable


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="infranaut demo", description=__doc__.split("\n\n")[0])
    p.add_argument("--start", type=dt.date.fromisoformat, default=None,
                   help="first demo day (default 2026-11-01, matching the demo registry's baselines)")
    p.add_argument("--days", type=int, default=None, help="number of days (default 10)")
    p.add_argument("--rows-per-day", type=int, default=2000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--model", action="append", dest="models", help="only this model (repeatable)")
    p.add_argument("--manifest", default=None, help="also write the manifest JSON to this local file")
    p.add_argument("--landing", default=None,
                   help="write the drops to this store (file:///path, a path or s3://bucket/prefix) and run nothing")
    p.add_argument("--no-run", action="store_true", help="only write the drops (let the sensor pick them up)")
    return p


def main(argv: list[str], say: Callable[[str], None] = print, ensure_home: Callable[[], None] = lambda: None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.models and not (args.no_run or args.landing):
        parser.error("--model writes drops for some models only: use it with --no-run or --landing")
    # Imports are local so `infranaut drift` and `infranaut check` never pay for Dagster.
    from infranaut_pipelines.demo import DEFAULT_DEMO_DAYS, DEFAULT_DEMO_START, write_demo_drops
    from infranaut_pipelines.registry import load_registry
    from infranaut_pipelines.storage.object_store import open_store

    start = args.start or DEFAULT_DEMO_START
    n_days = args.days or DEFAULT_DEMO_DAYS
    registry = load_registry()
    t0 = time.perf_counter()
    defs = None
    if args.landing:
        landing = open_store(args.landing)
    else:
        from infranaut_pipelines.definitions import build_definitions

        ensure_home()
        defs = build_definitions()
        landing = defs.resources["landing"].get_store()  # type: ignore[union-attr]
    manifest = write_demo_drops(landing, registry, start=start, days=n_days, rows_per_day=args.rows_per_day,
                                seed=args.seed, models=args.models)
    if args.manifest:
        with open(args.manifest, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(manifest.to_dict(), indent=2) + "\n")
    say(f"wrote {len(manifest.files)} demo drops for {', '.join(manifest.models)} "
        f"({manifest.dates[0]}..{manifest.dates[-1]}) to {landing.url}")
    if args.no_run or defs is None:
        return 0
    return _run(defs, registry, [start + dt.timedelta(days=i) for i in range(n_days)], manifest.models, t0, say)


def _run(defs, registry, days: list[dt.date], models: list[str], t0: float, say: Callable[[str], None]) -> int:  # type: ignore[no-untyped-def]
    import dagster as dg

    from infranaut_pipelines.demo.pipeline import run_demo_pipeline
    from infranaut_pipelines.monitoring.layout import report_html_key
    from infranaut_pipelines.settings import current

    instance = dg.DagsterInstance.get()
    stats = run_demo_pipeline(defs, instance, registry, days)
    lake = defs.resources["lake"].get_store()
    say(f"\n{stats['runs']} runs, {stats['failed']} failed, in {time.perf_counter() - t0:.0f} s")
    say(f"data: {current().data_dir}")
    say("drift reports:")
    for model in models:
        for day in days:
            say(f"  {lake.uri(report_html_key(model, day))}")
    say(f"\nBrowse it: DAGSTER_HOME={instance.root_directory} dagster dev   (then open http://127.0.0.1:3000)")
    say("Open the reports from the UI's links: infranaut reports serve   (in a second shell)")
    return 1 if stats["failed"] else 0
