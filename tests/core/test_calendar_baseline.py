"""Calendar-aware baselines: a weekly pattern that a 7-day rolling reference flags as drift every weekend, and
the same weekday of the previous weeks does not; listed seasonal days; one kind of baseline per model."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from dagster_aws.s3 import S3Resource

from infranaut_pipelines.drift import compare
from infranaut_pipelines.monitoring.bootstrap import bootstrap_window, next_step
from infranaut_pipelines.monitoring.reference import build_reference, describe_days
from infranaut_pipelines.monitoring.specs import baseline_days, drift_columns, drift_settings
from infranaut_pipelines.partitions import partition_key
from infranaut_pipelines.registry import RegistryError, parse_registry
from infranaut_pipelines.resources.io_manager import day_reader, lake_key, write_frame
from infranaut_pipelines.resources.storage import ObjectStoreResource
from tests.support.own_model import MODEL, REGISTRY_YAML, inference_frame

SATURDAY = dt.date(2026, 11, 28)
WEEKLY = REGISTRY_YAML.replace("{rolling_days: 3}", "{same_weekday_weeks: 4}")


def _day(day: dt.date):  # type: ignore[no-untyped-def]
    # Weekend customers spend 1.5 standard deviations more: a pattern, not a drift.
    return inference_frame(day, rows=1500, spend_shift=1.5 if day.weekday() >= 5 else 0.0)


def _drifted(reference_days: list[dt.date], spec) -> list[str]:  # type: ignore[no-untyped-def]
    built = build_reference(spec, reference_days, lambda d: (_day(d), None))
    assert built is not None
    result = compare(built.sketch, _day(SATURDAY), drift_columns(spec), drift_settings(spec))
    return [c.name for c in result.columns if c.drifted]


def test_weekly_pattern_rolling_flags_it_same_weekday_does_not() -> None:
    rolling = parse_registry(REGISTRY_YAML.replace("{rolling_days: 3}", "{start: 2026-11-21, end: 2026-11-27}"))
    weekly = parse_registry(WEEKLY)
    spec_rolling, spec_weekly = rolling.model(MODEL), weekly.model(MODEL)
    assert "monthly_spend" in _drifted(baseline_days(spec_rolling, as_of=SATURDAY), spec_rolling)
    days = baseline_days(spec_weekly, as_of=SATURDAY)
    assert days == [dt.date(2026, 10, 31), dt.date(2026, 11, 7), dt.date(2026, 11, 14), dt.date(2026, 11, 21)]
    assert all(d.weekday() == 5 for d in days)
    assert "monthly_spend" not in _drifted(days, spec_weekly)


def test_same_weekday_reference_reads_the_lake_and_names_the_days_used(tmp_path: Path) -> None:
    spec = parse_registry(WEEKLY).model(MODEL)
    lake = ObjectStoreResource(url=tmp_path.as_uri(), s3=S3Resource())
    for day in (dt.date(2026, 11, 14), dt.date(2026, 11, 21)):  # two of the four weeks have data
        write_frame(lake, lake_key("model_features", partition_key(day, MODEL)), _day(day))
    built = build_reference(spec, baseline_days(spec, as_of=SATURDAY), day_reader(lake, MODEL))
    assert built is not None and built.pointer["days"] == ["2026-11-14", "2026-11-21"]
    assert built.skipped == (dt.date(2026, 10, 31), dt.date(2026, 11, 7))
    assert describe_days(built.pointer["days"]) == "2026-11-14, 2026-11-21"
    assert built.pointer["missing"] and "labelled reference rows" in built.pointer["missing"][0]
    # Nothing to bootstrap: the baseline sensor never builds a shared baseline for such a model.
    assert bootstrap_window(spec, [SATURDAY], SATURDAY) is None
    assert next_step(spec, False, [SATURDAY], [], SATURDAY).build is None


def test_seasonal_days_are_the_listed_days_only() -> None:
    spec = parse_registry(REGISTRY_YAML.replace(
        "{rolling_days: 3}", "{seasonal_days: [2025-12-24, 2025-12-25, 2025-12-31]}")).model(MODEL)
    assert baseline_days(spec, as_of=SATURDAY) == [dt.date(2025, 12, 24), dt.date(2025, 12, 25), dt.date(2025, 12, 31)]
    have = [dt.date(2025, 12, 24), dt.date(2025, 12, 25), dt.date(2025, 12, 26), dt.date(2025, 12, 31)]
    window = bootstrap_window(spec, have, dt.date(2026, 1, 5))
    assert window is not None and window.complete and window.days == 3 and window.days_in == 3
    assert window.run_config() == {}  # the asset takes the registry's list, not 12-24..12-31
    assert "listed days 2025-12-24..2025-12-31, 3 of 3 days in" == window.describe()


@pytest.mark.parametrize(("baseline", "message"), [
    ("{rolling_days: 7, same_weekday_weeks: 4}", "give one baseline kind, not rolling_days and same_weekday_weeks"),
    ("{seasonal_days: [2025-12-24, 2025-12-24]}", "'seasonal_days' lists a day twice"),
    ("{same_weekday_weeks: 0}", "same_weekday_weeks"),
])
def test_bad_baselines_name_the_field(baseline: str, message: str) -> None:
    with pytest.raises(RegistryError, match=message):
        parse_registry(REGISTRY_YAML.replace("{rolling_days: 3}", baseline))
