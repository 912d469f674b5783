"""Checks of a registry against the deployment it runs in (partitions start, today): pure, all at once.

The schema (schema.py) judges a registry alone; these need the settings in effect, so they run at
definitions load and in ``infranaut check``, and report every problem at once, each naming the file,
the model and the field.
"""

from __future__ import annotations

import datetime as dt

from infranaut_pipelines.registry.schema import Registry


def window_problems(registry: Registry, source: str, first_day: dt.date, today: dt.date) -> list[str]:
    """Pinned baseline windows that can never be built: wholly before the first partition day, or not begun."""
    out: list[str] = []
    for m in registry.models:
        b = m.drift.baseline
        if not (b.start and b.end):
            continue
        where = f"{source}: model {m.id!r}, field 'drift.baseline'"
        if b.end < first_day:
            out.append(f"{where}: window {b.start}..{b.end} ends before the first partition day {first_day} "
                       f"(INFRANAUT_PARTITIONS_START): no day of it can be ingested")
        elif b.start > today:
            out.append(f"{where}: window {b.start}..{b.end} starts in the future (today is {today} UTC)")
    return out


def window_warnings(registry: Registry, source: str, first_day: dt.date) -> list[str]:
    return [
        f"{source}: model {m.id!r}, field 'drift.baseline': days before {first_day} in the window "
        f"{m.drift.baseline.start}..{m.drift.baseline.end} cannot be ingested; the baseline uses the rest"
        for m in registry.models
        if m.drift.baseline.start and m.drift.baseline.end
        and m.drift.baseline.start < first_day <= m.drift.baseline.end
    ]
