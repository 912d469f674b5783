"""What benchmarks/backfill.py prints: wall time, run durations, the most runs seen at once (in all, per
backfill, per model) against the limits in deploy/production/dagster.yaml, and per-partition row checks."""

from __future__ import annotations

import datetime as dt
import os
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import dagster as dg

BACKFILL_LIMIT = 4  # deploy/production/dagster.yaml: tag_concurrency_limits, dagster/backfill
PER_MODEL_LIMIT = 1  # deploy/production/dagster.yaml: tag_concurrency_limits, dagster/partition/model


@dataclass
class Measured:
    executor: str
    backfill_id: str
    t0: float  # the CLI call
    submit_s: float  # the CLI's own time (it creates and queues every run)
    done: float  # the last run ended
    records: list  # RunRecord of every run tagged with the backfill (retries included)
    others: list  # runs that were not the backfill's (should be none)


def max_overlap(intervals: Iterable[tuple[float, float]]) -> int:
    """Most intervals open at one instant; an interval ending when another starts does not overlap it."""
    spans = list(intervals)
    events = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])  # at a tie, -1 (an end) sorts first
    best = cur = 0
    for _, step in events:
        cur += step
        best = max(best, cur)
    return best


def _interval(r) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """(start, end) of a run that started; end = start if it has no end time."""
    return float(r.start_time), float(r.end_time or r.start_time)


def _first_key(r) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """(model, first date) of a run: its partition tags, or the start of its range (a range run has no
    dagster/partition/* tags)."""
    tags = r.dagster_run.tags
    if "dagster/partition/model" in tags:
        return tags["dagster/partition/model"], tags["dagster/partition/date"]
    day, model = tags.get("dagster/asset_partition_range_start", "?|?").split("|")
    return model, day


def _partitions(r) -> int:  # type: ignore[no-untyped-def]
    tags = r.dagster_run.tags
    if "dagster/asset_partition_range_start" not in tags:
        return 1
    start = dt.date.fromisoformat(tags["dagster/asset_partition_range_start"].split("|")[0])
    end = dt.date.fromisoformat(tags["dagster/asset_partition_range_end"].split("|")[0])
    start_m, end_m = (tags[f"dagster/asset_partition_range_{e}"].split("|")[1] for e in ("start", "end"))
    return ((end - start).days + 1) * (1 if start_m == end_m else 2)


def _by_model(runs: list) -> dict[str, list]:
    out: dict[str, list] = defaultdict(list)
    for r in runs:
        out[_first_key(r)[0]].append(r)
    return out


def concurrency_report(m: Measured, max_runs: int) -> str:
    runs = [r for r in m.records if r.start_time]
    by_model = _by_model(runs)
    statuses = Counter(r.dagster_run.status.value for r in m.records)
    durations = [e - s for s, e in map(_interval, runs)]
    total = max_overlap(map(_interval, runs))
    per_model = {k: max_overlap(map(_interval, rs)) for k, rs in by_model.items()}
    # With one run per model at a time, a model's runs must start in the order the backfill queued them (by date).
    ordered = all(
        [_first_key(r)[1] for r in sorted(rs, key=lambda r: r.start_time)] == sorted(_first_key(r)[1] for r in rs)
        for rs in by_model.values()
    )
    wall = m.done - m.t0
    held = total <= min(max_runs, BACKFILL_LIMIT) and all(v <= PER_MODEL_LIMIT for v in per_model.values())
    lines = [
        f"== {m.executor}: backfill {m.backfill_id}",
        f"  wall {wall:.0f} s (CLI queued {len(m.records)} runs in {m.submit_s:.0f} s); "
        f"{sum(map(_partitions, runs)) / (wall / 60):.2f} partitions/min in {len(runs)} runs; "
        f"load average {os.getloadavg()[0]:.1f}",
        f"  runs: {dict(statuses)}; duration median {statistics.median(durations):.0f} s, "
        f"max {max(durations):.0f} s; sum of run time / wall = {sum(durations) / wall:.2f}",
        f"  most at once: {total} in all (limits: max_concurrent_runs {max_runs}, dagster/backfill {BACKFILL_LIMIT}); "
        f"per model {per_model} (limit {PER_MODEL_LIMIT}); each model's runs in date order: {ordered}",
        f"  limits held: {held}; runs not from the backfill: {len(m.others)}",
    ]
    return "\n".join(lines)


def verify_partitions(lake_url: str, warehouse_url: str, days: list[dt.date], models: list[str]) -> str:
    """Every raw row validated or quarantined; one copy of every warehouse row (the second backfill overwrote
    the first)."""
    import polars as pl

    from infranaut_pipelines.resources.io_manager import lake_key
    from infranaut_pipelines.storage import open_store
    from infranaut_pipelines.warehouse import Warehouse

    store, wh = open_store(lake_url), Warehouse(warehouse_url)
    problems: list[str] = []
    rows = 0
    for model in models:
        for day in days:
            key = dg.MultiPartitionKey({"date": day.isoformat(), "model": model})
            n = {}
            for asset in ("raw_inferences", "validated_inferences", "quarantined_inferences"):
                with store.local_copy(lake_key(asset, key)) as path:
                    n[asset] = pl.read_parquet(path).height
            rows += n["raw_inferences"]
            if n["raw_inferences"] != n["validated_inferences"] + n["quarantined_inferences"]:
                problems.append(f"{model} {day}: {n}")
    q = {
        "daily_model_metrics": "SELECT model_id, partition_date, COUNT(*) AS n FROM daily_model_metrics GROUP BY 1, 2",
        "drift_results": "SELECT model_id, partition_date, column_name, COUNT(*) AS n FROM drift_results GROUP BY 1, 2, 3",
        "inference_log": "SELECT model_id, partition_date, prediction_id, COUNT(*) AS n FROM inference_log GROUP BY 1, 2, 3",
        "model_registry": "SELECT model_id, COUNT(*) AS n FROM model_registry GROUP BY 1",
    }
    for table, sql in q.items():
        df = wh.query(sql)
        dup = df.filter(pl.col("n") > 1).height
        if dup:
            problems.append(f"{table}: {dup} keys with more than one row")
    daily = wh.query(q["daily_model_metrics"]).height
    if daily != len(days) * len(models):
        problems.append(f"daily_model_metrics has {daily} (model, date) rows, expected {len(days) * len(models)}")
    return (f"  checks: {len(days) * len(models)} partitions, {rows} raw rows, raw = validated + quarantined in each; "
            f"no duplicate rows: {'OK' if not problems else 'FAILED: ' + '; '.join(problems[:10])}")
