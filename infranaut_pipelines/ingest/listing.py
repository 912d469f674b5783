"""Which parts of the landing zone a sensor tick lists (pure; the sensor and the stores do the I/O).

A tick must cost what is new, not what the bucket holds. So instead of listing the whole landing prefix,
it lists, per registered model and drop kind, only the keys of the ``dt=`` days that can still receive
drops: ``days_back`` days before today up to the pending days ahead (``max_future_days``). Keys sort by
day inside a model's folder, so one ``list_objects_v2`` call with ``Prefix`` and ``StartAfter`` covers all
of those days: a tick costs about two LIST calls per model plus one per 1,000 recent objects.

Each model's layout answers with its own ranges (:data:`Planner`): the contract layout below, and other
layouts (a serving log written as ``<prefix>/<endpoint>/<variant>/yyyy/mm/dd/hh/``) can plug in per model.

What the window cannot see (a drop for a day older than ``days_back``, a key outside every model's folder)
is found by the reconciliation sweep (:func:`in_ranges` tells the sweep what the window already covers),
or at once by the S3 event queue when one is configured.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from infranaut_pipelines.ingest.contract import DropKind
from infranaut_pipelines.registry import ModelSpec, Registry

KINDS: tuple[DropKind, ...] = ("inferences", "labels")


@dataclass(frozen=True)
class ListRange:
    """List the keys under ``prefix`` that sort after ``start_after`` (S3's Prefix and StartAfter)."""

    prefix: str
    start_after: str = ""

    def covers(self, key: str) -> bool:
        return key.startswith(self.prefix) and key > self.start_after


# (model_id, kind, first day, last day) -> the ranges holding that model's drops of those days.
Planner = Callable[[str, DropKind, dt.date, dt.date], list[ListRange]]


def contract_ranges(model_id: str, kind: DropKind, first: dt.date, last: dt.date) -> list[ListRange]:
    """``<kind>/<model>/dt=YYYY-MM-DD/<file>``: everything from ``dt=<first>`` to the end of the folder.

    ``last`` is not needed: later days are few (pending or rejected as future), and listing to the end
    also finds a drop dated too far ahead, so it is rejected with its reason instead of waiting unseen.
    """
    prefix = f"{kind}/{model_id}/"
    # "dt=<first>" without the slash sorts just before every key of that day and after every earlier day.
    return [ListRange(prefix, start_after=f"{prefix}dt={first.isoformat()}")]


@dataclass(frozen=True)
class Window:
    first: dt.date
    last: dt.date


def listing_window(now: dt.datetime, days_back: int, max_future_days: int, first_day: dt.date | None) -> Window:
    """The ``dt=`` days a tick lists: ``days_back`` days before ``now``'s UTC date up to the pending days."""
    today = now.astimezone(dt.timezone.utc).date()
    first = today - dt.timedelta(days=days_back)
    if first_day is not None and first < first_day:
        first = first_day
    return Window(first=first, last=today + dt.timedelta(days=max_future_days))


def plan_ranges(
    model_ids: Iterable[str],
    window: Window,
    planners: Mapping[str, Planner] | None = None,
    default: Planner = contract_ranges,
) -> list[ListRange]:
    """Every range to list this tick, sorted and without duplicates; ``planners`` overrides a model's layout."""
    planners = planners or {}
    ranges: set[ListRange] = set()
    for model_id in model_ids:
        planner = planners.get(model_id, default)
        for kind in KINDS:
            ranges.update(planner(model_id, kind, window.first, window.last))
    return sorted(ranges, key=lambda r: (r.prefix, r.start_after))


def in_ranges(key: str, ranges: Iterable[ListRange]) -> bool:
    """True when the window listing covers ``key`` (so the sweep need not handle it again)."""
    return any(r.covers(key) for r in ranges)


def serving_log_planners(registry: Registry) -> dict[str, Planner]:
    """Planners of the models whose ``source`` is a serving log (SageMaker capture, KServe, inference tables):
    the folders their layout maps the window's days to (ingest/formats/layout.py), one range per folder."""
    from infranaut_pipelines.ingest.formats.layout import listing_prefixes

    def planner(spec: ModelSpec) -> Planner:
        def plan(model_id: str, kind: DropKind, first: dt.date, last: dt.date) -> list[ListRange]:
            days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
            return [ListRange(p) for p in dict.fromkeys(p for d in days for p in listing_prefixes(spec, kind, d))]
        return plan

    return {m.id: planner(m) for m in registry.models if m.source.format != "infranaut"}
