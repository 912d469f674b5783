"""``python -m infranaut_pipelines.demo <store-url>``: fill a landing zone with the demo drops, print the manifest."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys

from infranaut_pipelines.demo.generate import DEFAULT_DEMO_DAYS, DEFAULT_DEMO_START, write_demo_drops
from infranaut_pipelines.registry import load_registry
from infranaut_pipelines.storage.object_store import open_store


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m infranaut_pipelines.demo", description=__doc__)
    p.add_argument("store_url", help="file:///path, a plain path, or s3://bucket/prefix")
    p.add_argument("--registry", default=None, help="registry YAML (default: $INFRANAUT_REGISTRY or the packaged one)")
    p.add_argument("--start", type=dt.date.fromisoformat, default=DEFAULT_DEMO_START)
    p.add_argument("--days", type=int, default=DEFAULT_DEMO_DAYS)
    p.add_argument("--rows-per-day", type=int, default=2000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--model", action="append", dest="models", help="only this model (repeatable)")
    p.add_argument("--manifest", default=None, help="also write the manifest JSON to this local file")
    args = p.parse_args(argv)
    manifest = write_demo_drops(
        open_store(args.store_url),
        load_registry(args.registry),
        start=args.start,
        days=args.days,
        rows_per_day=args.rows_per_day,
        seed=args.seed,
        models=args.models,
    )
    text = json.dumps(manifest.to_dict(), indent=2)
    if args.manifest:
        with open(args.manifest, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    summary = {
        "store": args.store_url,
        "files": len(manifest.files),
        "dates": f"{manifest.dates[0]}..{manifest.dates[-1]}",
        "rows": {m: sum(per.values()) for m, per in manifest.rows.items()},
        "bad_rows": {m: sum(manifest.bad_total(m, d) for d in manifest.dates) for m in manifest.models},
        "drift_episodes": {m: e.to_dict() for m, e in manifest.drift_episodes.items()},
    }
    json.dump(summary, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
