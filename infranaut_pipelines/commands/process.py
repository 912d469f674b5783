"""``infranaut run MODEL DATE..DATE`` and ``infranaut baseline MODEL``: process days by hand, headless.

The same graph, jobs and bootstrap rules as the sensors (monitoring/bootstrap.py), run in this process
against the instance in ``$DAGSTER_HOME`` so the runs show in the UI. On the embedded default (DuckDB)
stop ``dagster dev`` first: DuckDB admits one writer process.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable

import dagster as dg

from infranaut_pipelines.definitions import build_definitions
from infranaut_pipelines.monitoring.bootstrap import bootstrap_window, next_step
from infranaut_pipelines.monitoring.layout import baseline_state, report_html_key
from infranaut_pipelines.partitions import (
    MAX_PARTITIONS_PER_RUN,
    MODEL_PARTITIONS_NAME,
    RANGE_END_TAG,
    RANGE_START_TAG,
    partition_key,
)
from infranaut_pipelines.registry import ModelSpec, load_registry

Say = Callable[[str], None]


def parse_days(text: str) -> list[dt.date]:
    """``2026-11-01`` or ``2026-11-01..2026-11-07`` (inclusive)."""
    lo_s, _, hi_s = text.partition("..")
    try:
        lo = dt.date.fromisoformat(lo_s)
        hi = dt.date.fromisoformat(hi_s) if hi_s else lo
    except ValueError:
        raise ValueError(f"expected DATE or DATE..DATE (YYYY-MM-DD), got {text!r}") from None
    if hi < lo:
        raise ValueError(f"{text!r}: the range ends before it starts")
    return [lo + dt.timedelta(days=i) for i in range((hi - lo).days + 1)]


def day_ranges(days: list[dt.date], longest: int = MAX_PARTITIONS_PER_RUN) -> list[list[dt.date]]:
    """Consecutive days grouped into ranges of at most ``longest`` days (a gap starts a new range)."""
    out: list[list[dt.date]] = []
    for day in sorted(set(days)):
        if out and day - out[-1][-1] == dt.timedelta(days=1) and len(out[-1]) < longest:
            out[-1].append(day)
        else:
            out.append([day])
    return out


class Runner:
    def __init__(self, say: Say, log_level: str = "WARNING") -> None:
        self.defs = build_definitions()
        self.instance = dg.DagsterInstance.get()
        self.say = say
        self.failed = 0
        self._log = {"loggers": {"console": {"config": {"log_level": log_level}}}}

    def model(self, model_id: str) -> ModelSpec:
        spec = load_registry().model(model_id)  # KeyError names the known models
        if model_id not in self.instance.get_dynamic_partitions(MODEL_PARTITIONS_NAME):
            self.instance.add_dynamic_partitions(MODEL_PARTITIONS_NAME, [model_id])
        return spec

    def run(self, job: str, key: str, label: str, run_config: dict | None = None) -> bool:
        result = self.defs.resolve_job_def(job).execute_in_process(
            instance=self.instance, partition_key=key, raise_on_error=False, run_config={**(run_config or {}), **self._log}
        )
        self.failed += 0 if result.success else 1
        self.say(f"  {'ok  ' if result.success else 'FAIL'} {label} {key} (run {result.run_id[:8]})")
        return result.success

    def run_days(self, job: str, model_id: str, days: list[dt.date], label: str) -> None:
        """The job over the model's days: one run per range of consecutive days (a day alone is a partition run).

        A range that fails is run again day by day: the failing day fails on its own (and says why), the others
        complete; every write replaces its partition, so nothing the range wrote is duplicated."""
        for chunk in day_ranges(days):
            if len(chunk) == 1:
                self.run(job, str(partition_key(chunk[0], model_id)), label)
                continue
            first, last = str(partition_key(chunk[0], model_id)), str(partition_key(chunk[-1], model_id))
            result = self.defs.resolve_job_def(job).execute_in_process(
                instance=self.instance, tags={RANGE_START_TAG: first, RANGE_END_TAG: last}, raise_on_error=False,
                run_config=self._log,
            )
            self.say(f"  {'ok  ' if result.success else 'FAIL'} {label} {first}..{last} ({len(chunk)} days, "
                     f"run {result.run_id[:8]})")
            if not result.success:
                self.say("  running that range's days one by one")
                for day in chunk:
                    self.run(job, str(partition_key(day, model_id)), label)

    def build_baseline(self, spec: ModelSpec, start: dt.date, end: dt.date, config: dict | None = None) -> bool:
        if config is None:
            config = {"ops": {"drift_baseline": {"config": {"start": start.isoformat(), "end": end.isoformat()}}}}
        return self.run("update_baseline_job", spec.id, f"baseline {start}..{end}", config)

    def catch_up(self, spec: ModelSpec) -> None:
        """What the baseline sensor would do now: build a complete first baseline, report the waiting days."""
        lake = self.defs.resources["lake"].get_store()  # type: ignore[union-attr]
        pointer, features, waiting = baseline_state(lake, spec.id)
        step = next_step(spec, pointer is not None, features, waiting, dt.datetime.now(dt.timezone.utc).date())
        self.say(f"[{spec.id}] {step.status}")
        if step.build is not None and self.build_baseline(spec, step.build.start, step.build.end,
                                                          step.build.run_config()):
            pointer, _, waiting = baseline_state(lake, spec.id)
            step = next_step(spec, True, [], waiting, dt.datetime.now(dt.timezone.utc).date())
        self.run_days("nightly_report_job", spec.id, list(step.reports), "report")

    def report_links(self, spec: ModelSpec, days: list[dt.date]) -> None:
        lake = self.defs.resources["lake"].get_store()  # type: ignore[union-attr]
        for day in days:
            if lake.head(report_html_key(spec.id, day)) is not None:
                self.say(f"  report: {lake.uri(report_html_key(spec.id, day))}")


def _start(model_id: str, say: Say, days: str | None) -> tuple[Runner, ModelSpec, list[dt.date] | None] | int:
    """Load the definitions and the model, parse the days; a bad argument is exit 2 with one line, no traceback."""
    try:
        parsed = parse_days(days) if days else None
        runner = Runner(say)
        return runner, runner.model(model_id), parsed
    except (ValueError, KeyError) as exc:
        say(f"error: {exc.args[0] if exc.args else exc}")
        return 2


def run_main(argv: list[str], say: Say = print) -> int:
    parser = argparse.ArgumentParser(prog="infranaut run", description="Process days of one model (ingest -> alerts).")
    parser.add_argument("model")
    parser.add_argument("days", help="DATE or DATE..DATE (inclusive, UTC days)")
    args = parser.parse_args(argv)
    started = _start(args.model, say, args.days)
    if isinstance(started, int):
        return started
    runner, spec, days = started
    assert days is not None
    say(f"[{spec.id}] processing {days[0]}..{days[-1]} ({len(days)} day(s))")
    runner.run_days("inference_pipeline_job", spec.id, days, "pipeline")
    runner.catch_up(spec)
    runner.report_links(spec, days)
    return 1 if runner.failed else 0


def baseline_main(argv: list[str], say: Say = print) -> int:
    parser = argparse.ArgumentParser(prog="infranaut baseline", description="Build (or rebuild) a model's baseline.")
    parser.add_argument("model")
    parser.add_argument("--window", help="DATE..DATE to use instead of the registry's window")
    args = parser.parse_args(argv)
    started = _start(args.model, say, args.window)
    if isinstance(started, int):
        return started
    runner, spec, window = started
    if spec.drift.baseline.per_report_day:
        say(f"{spec.id} compares each day with the same weekday of the previous "
            f"{spec.drift.baseline.same_weekday_weeks} week(s): each report builds its own reference, "
            "there is no shared baseline to build")
        return 2
    lake = runner.defs.resources["lake"].get_store()  # type: ignore[union-attr]
    pointer, features, _ = baseline_state(lake, spec.id)
    if window is None and pointer is not None:
        # A rebuild: the registry's window (pinned, or the rolling days up to yesterday).
        ok = runner.run("update_baseline_job", spec.id, "baseline (registry window)")
        return 0 if ok else 1
    if window is None:
        first = bootstrap_window(spec, features, dt.datetime.now(dt.timezone.utc).date())
        if first is None:
            say(f"error: {spec.id} has no featurized day yet: run `infranaut run {spec.id} DATE..DATE` first")
            return 2
        if not first.complete:
            say(f"note: {first.describe()}; building from the days there are")
        if runner.build_baseline(spec, first.start, first.end, first.run_config()):
            runner.catch_up(spec)
        return 1 if runner.failed else 0
    if runner.build_baseline(spec, window[0], window[-1]):
        runner.catch_up(spec)
    return 1 if runner.failed else 0
