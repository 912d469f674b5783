"""The ``infranaut`` command: ``check``, ``run``, ``baseline``, ``demo``, ``drift`` and ``reports``."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path


def _ensure_dagster_home() -> None:
    if not os.environ.get("DAGSTER_HOME"):
        home = Path.cwd() if (Path.cwd() / "dagster.yaml").exists() else Path.cwd() / ".dagster_home"
        home.mkdir(parents=True, exist_ok=True)
        os.environ["DAGSTER_HOME"] = str(home)
        print(f"DAGSTER_HOME was not set; using {home} (export DAGSTER_HOME={home} before `dagster dev`)")


def _demo(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="infranaut demo", description=__doc__)
    parser.add_argument("--start", default=None, help="first demo day (default 2026-11-01, matching the registry's baselines)")
    parser.add_argument("--days", type=int, default=None, help="number of days (default 10)")
    parser.add_argument("--rows-per-day", type=int, default=2000)
    parser.add_argument("--no-run", action="store_true", help="only write the drops (let the sensor pick them up)")
    args = parser.parse_args(argv)

    # Imports are local so `infranaut drift` stays fast and works without a Dagster instance.
    import dagster as dg

    from infranaut_pipelines.definitions import build_definitions
    from infranaut_pipelines.demo import DEFAULT_DEMO_DAYS, DEFAULT_DEMO_START, write_demo_drops
    from infranaut_pipelines.demo_pipeline import run_demo_pipeline
    from infranaut_pipelines.monitoring.layout import report_html_key
    from infranaut_pipelines.registry import load_registry
    from infranaut_pipelines.resources import data_dir

    _ensure_dagster_home()
    start = dt.date.fromisoformat(args.start) if args.start else DEFAULT_DEMO_START
    n_days = args.days or DEFAULT_DEMO_DAYS
    t0 = time.perf_counter()
    defs = build_definitions()
    registry = load_registry()
    landing = defs.resources["landing"].get_store()  # type: ignore[union-attr]
    manifest = write_demo_drops(landing, registry, start=start, days=n_days, rows_per_day=args.rows_per_day)
    print(f"wrote {len(manifest.files)} demo drops for {', '.join(registry.model_ids)} to {landing.url}")
    if args.no_run:
        return 0
    instance = dg.DagsterInstance.get()
    days = [start + dt.timedelta(days=i) for i in range(n_days)]
    stats = run_demo_pipeline(defs, instance, registry, days)
    lake = defs.resources["lake"].get_store()  # type: ignore[union-attr]
    print(f"\n{stats['runs']} runs, {stats['failed']} failed, in {time.perf_counter() - t0:.0f} s")
    print(f"data: {data_dir()}")
    print("drift reports:")
    for model in registry.model_ids:
        for day in days:
            print(f"  {lake.uri(report_html_key(model, day))}")
    print(f"\nBrowse it: DAGSTER_HOME={os.environ['DAGSTER_HOME']} dagster dev   (then open http://127.0.0.1:3000)")
    print("Open the reports from the UI's links: infranaut reports serve   (in a second shell)")
    return 1 if stats["failed"] else 0


USAGE = """usage: infranaut {check,run,baseline,demo,drift,reports} ...
  check     validate the registry, the alert rules and the settings in effect (exit 1 listing every problem)
  run       process days of one model by hand: infranaut run MODEL DATE..DATE
  baseline  build or rebuild a model's drift baseline: infranaut baseline MODEL [--window DATE..DATE]
  demo      write demo drops and materialize every asset
  drift     compare two parquet/CSV files and print the drift table (exit 0 no dataset drift, 1 drift, 2 error)
  reports   serve the local lake's reports read-only on 127.0.0.1: infranaut reports serve [--port PORT]"""


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    # Imports are local so each command pays only for what it uses (`drift` needs no Dagster).
    if command == "check":
        from infranaut_pipelines.commands.check import main as check_main

        return check_main(rest)
    if command in ("run", "baseline"):
        _ensure_dagster_home()
        from infranaut_pipelines.commands.process import baseline_main, run_main

        return (run_main if command == "run" else baseline_main)(rest)
    if command == "demo":
        return _demo(rest)
    if command == "drift":
        from infranaut_pipelines.drift.cli import main as drift_main

        return drift_main(rest)
    if command == "reports":
        from infranaut_pipelines.commands.reports import main as reports_main

        return reports_main(rest)
    print(f"unknown command {command!r}\n{USAGE}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
