"""A new model's first baseline, without a human: which window, is it complete, what to do now (pure).

Until a model has a baseline its days are still ingested, validated, aggregated and featurized; their
drift reports record "waiting for baseline" instead of failing. Once every day of the window has
features (and its labels have had ``label.lag_days`` to arrive), the baseline sensor builds the baseline
from exactly that window and then re-runs the reports of the days that waited.

The window: a pinned ``baseline: {start, end}`` or listed ``{seasonal_days: [...]}`` as declared; a rolling
``{rolling_days: N}`` baseline starts with the model's first day of data, so the first N days of traffic are
the reference. A ``{same_weekday_weeks: N}`` model has no shared baseline: each report builds its own
reference from the same weekday of the N weeks before it, so there is nothing to bootstrap.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from infranaut_pipelines.registry import ModelSpec

# A window with missing days is built from the days it has once traffic has gone on this many days past
# it: the missing days are not coming. Counted in data days, not wall-clock, so loading history day by
# day waits for each window day as live traffic would.
MISSING_DAY_GRACE = 2


@dataclass(frozen=True)
class BaselineWindow:
    start: dt.date
    end: dt.date
    days_in: int
    complete: bool
    listed: tuple[dt.date, ...] = ()  # seasonal_days: only these days of start..end count

    @property
    def days(self) -> int:
        return len(self.listed) if self.listed else (self.end - self.start).days + 1

    def describe(self) -> str:
        kind = "listed days" if self.listed else "window"
        return f"{kind} {self.start}..{self.end}, {self.days_in} of {self.days} days in"

    def run_config(self) -> dict:
        """Config of the ``drift_baseline`` run that builds it: the window's range, or (listed days) none,
        so the asset takes the registry's list rather than every day between the first and the last."""
        if self.listed:
            return {}
        return {"ops": {"drift_baseline": {"config": {"start": self.start.isoformat(), "end": self.end.isoformat()}}}}


def bootstrap_window(spec: ModelSpec, feature_days: Iterable[dt.date], today: dt.date) -> BaselineWindow | None:
    """The first baseline's window and whether it can be built now; None before the model's first day."""
    have = set(feature_days)
    b = spec.drift.baseline
    if b.per_report_day:
        return None
    if b.seasonal_days:
        listed = tuple(sorted(b.seasonal_days))
        days_in = sum(1 for d in listed if d in have)
        end = listed[-1]
        labels_had_time = today >= end + dt.timedelta(days=spec.label.lag_days)
        overdue = bool(have) and max(have) > end + dt.timedelta(days=MISSING_DAY_GRACE)
        return BaselineWindow(listed[0], end, days_in, days_in > 0 and labels_had_time
                              and (days_in == len(listed) or overdue), listed)
    if b.start and b.end:
        start, end = b.start, b.end
    elif have:
        start = min(have)
        end = start + dt.timedelta(days=(b.rolling_days or 7) - 1)
    else:
        return None
    days_in = sum(1 for d in have if start <= d <= end)
    labels_had_time = today >= end + dt.timedelta(days=spec.label.lag_days)
    overdue = bool(have) and max(have) > end + dt.timedelta(days=MISSING_DAY_GRACE)
    full = days_in == (end - start).days + 1
    return BaselineWindow(start, end, days_in, complete=days_in > 0 and labels_had_time and (full or overdue))


@dataclass(frozen=True)
class BootstrapStep:
    """What to do for one model now: build its first baseline, and/or re-run the reports that waited."""

    build: BaselineWindow | None
    reports: tuple[dt.date, ...]
    status: str


def next_step(spec: ModelSpec, has_baseline: bool, feature_days: Iterable[dt.date],
              waiting_days: Iterable[dt.date], today: dt.date) -> BootstrapStep:
    waiting = tuple(sorted(set(waiting_days)))
    if spec.drift.baseline.per_report_day:
        return BootstrapStep(None, (), "reference built per report day (same weekday of the previous weeks)")
    if has_baseline:
        return BootstrapStep(None, waiting, f"baseline ready; {len(waiting)} waiting report(s)")
    window = bootstrap_window(spec, feature_days, today)
    if window is None:
        return BootstrapStep(None, (), "no data yet")
    if window.complete:
        return BootstrapStep(window, (), f"building baseline ({window.describe()})")
    return BootstrapStep(None, (), f"waiting for baseline ({window.describe()})")
