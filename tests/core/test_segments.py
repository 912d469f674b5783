"""Segments: one segment shifts while the whole does not -> only that segment is flagged, alerted (once per
segment and feature) and named in the root-cause hint; small segments are "too small"; capped and escaped."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from infranaut_pipelines.alerting import load_rules
from infranaut_pipelines.alerting.evaluate import evaluate
from infranaut_pipelines.alerting.hints import root_causes
from infranaut_pipelines.alerting.render import render_fire
from infranaut_pipelines.drift import compare
from infranaut_pipelines.monitoring.drift_table import drift_summary_row
from infranaut_pipelines.monitoring.reference import build_reference
from infranaut_pipelines.monitoring.segments import compare_segments, segment_labels, segment_rows
from infranaut_pipelines.monitoring.signals import build_signals
from infranaut_pipelines.monitoring.specs import drift_columns, drift_settings
from infranaut_pipelines.registry import RegistryError, parse_registry
from infranaut_pipelines.warehouse import Warehouse
from tests.support.own_model import MODEL, REGISTRY_YAML

SEGMENTED = REGISTRY_YAML.replace(
    "    alerts:", "    segments:\n      - {column: plan, min_rows: 100}\n"
    "      - {column: tenure_months, buckets: [12, 60], min_rows: 100}\n    alerts:")
DAY = dt.date(2026, 11, 20)


def _frame(rows: int, seed: int, pro_shift: float = 0.0, plans=("basic", "plus", "pro"),  # type: ignore[no-untyped-def]
           p=(0.6, 0.38, 0.02)) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    plan = rng.choice(list(plans), rows, p=list(p))
    spend = rng.normal(100.0, 20.0, rows) + np.where(plan == plans[-1], pro_shift * 20.0, 0.0)
    return pl.DataFrame({
        "prediction_id": [f"p{seed}-{i}" for i in range(rows)],
        "tenure_months": rng.integers(0, 120, rows), "monthly_spend": spend, "plan": plan.tolist(),
        "support_tickets": rng.poisson(1.0, rows), "autopay": (rng.random(rows) < 0.6).tolist(),
        "churn_score": rng.beta(2, 5, rows),
    })


def _results(current: pl.DataFrame, text: str = SEGMENTED):  # type: ignore[no-untyped-def]
    spec = parse_registry(text).model(MODEL)
    built = build_reference(spec, [DAY - dt.timedelta(days=1)], lambda d: (_frame(20000, 1), None))
    assert built is not None and built.segments is not None
    whole = compare(built.sketch, current, drift_columns(spec), drift_settings(spec))
    return spec, whole, built, compare_segments(spec, built.segments, current, None)


def test_one_segment_shifts_only_it_is_flagged() -> None:
    spec, whole, _, results = _results(_frame(20000, 2, pro_shift=3.0))
    assert "monthly_spend" not in [c.name for c in whole.columns if c.drifted], "the whole must look fine"
    flagged = {r.segment: r for r in results if r.drifted}
    assert list(flagged) == ["plan=pro"] and "monthly_spend" in flagged["plan=pro"].drifted
    assert results[0].segment == "plan=pro"  # worst first
    assert {r.segment for r in results} >= {"tenure_months=< 12", "tenure_months=[12, 60)", "tenure_months=>= 60"}


def test_segment_sla_is_measured_on_the_segment_rows() -> None:
    current = _frame(20000, 2).with_columns(
        latency_ms=pl.when(pl.col("plan") == "pro").then(900.0).otherwise(50.0),
        status=pl.when(pl.col("plan") == "pro").then(pl.lit("error")).otherwise(pl.lit("ok")))
    _, _, _, results = _results(current)
    by = {r.segment: r for r in results}
    assert by["plan=pro"].latency_p95_ms == 900.0 and by["plan=pro"].error_rate == 1.0
    assert by["plan=basic"].latency_p95_ms == 50.0 and by["plan=basic"].error_rate == 0.0


def test_small_and_unknown_segments_are_not_scored() -> None:
    current = _frame(2000, 3, plans=("basic", "plus", "enterprise"), p=(0.6, 0.37, 0.03))
    _, _, _, results = _results(current)
    status = {r.segment: r.status for r in results}
    assert status["plan=enterprise"] == "too small"  # ~60 rows < min_rows 100
    assert status["plan=basic"] == "scored"
    big_new = _frame(2000, 4, plans=("basic", "plus", "enterprise"), p=(0.4, 0.3, 0.3))
    assert {r.segment: r.status for r in _results(big_new)[3]}["plan=enterprise"] == "no reference"


def test_segment_alerts_are_per_segment_and_hinted_and_escaped(tmp_path: Path) -> None:
    spec, whole, built, results = _results(_frame(20000, 2, pro_shift=3.0))
    wh = Warehouse(f"duckdb:///{tmp_path / 'w.duckdb'}")
    where = {"model_id": MODEL, "partition_date": DAY}
    wh.replace_partition("segment_results", segment_rows(results, MODEL, DAY), where)
    wh.replace_partition("drift_summaries", drift_summary_row(whole, MODEL, DAY, built.sketch.version, None), where)
    signals = build_signals(wh, spec, DAY, dt.datetime(2026, 11, 21, tzinfo=dt.timezone.utc))
    assert signals.segment_feature_drift and set(signals.segment_feature_drift) == {
        f"plan=pro/{f}" for f in results[0].drifted}
    rules = load_rules(None, parse_registry(SEGMENTED))
    findings = [f for f in evaluate(rules, signals) if f.rule == "segment_feature_drift"]
    assert [f.subject for f in findings] == sorted(signals.segment_feature_drift)
    assert len({f.fingerprint for f in findings}) == len(findings)
    cause = root_causes(signals, findings)
    assert any("plan=pro (" in text for _, text in cause.hints)
    # A segment value is data: in Slack it stays text.
    hostile = [f.__class__(**{**f.__dict__, "subject": "plan=<!channel>/x",
                              "summary": "feature x drifted in segment plan=<!channel>"}) for f in findings[:1]]
    assert "<!channel>" not in json.dumps(render_fire(MODEL, DAY, hostile, None))


def test_bad_segments_fail_at_load_and_many_values_are_capped() -> None:
    with pytest.raises(RegistryError, match="segment column 'country' is not a declared feature"):
        parse_registry(REGISTRY_YAML.replace("    alerts:", "    segments: [{column: country}]\n    alerts:"))
    with pytest.raises(RegistryError, match="is numeric: give its 'buckets'"):
        parse_registry(REGISTRY_YAML.replace("    alerts:", "    segments: [{column: monthly_spend}]\n    alerts:"))
    many = REGISTRY_YAML.replace("{name: plan, type: category, values: [basic, plus, pro]}",
                                 "{name: plan, type: category}").replace(
        "    alerts:", "    segments: [{column: plan, min_rows: 10, max_values: 5}]\n    alerts:")
    spec = parse_registry(many).model(MODEL)
    rng = np.random.default_rng(0)
    ref = _frame(20000, 5).with_columns(pl.Series("plan", [f"v{i}" for i in rng.integers(0, 10000, 20000)]))
    built = build_reference(spec, [DAY], lambda d: (ref, None))
    assert built is not None and built.segments is not None
    assert len(built.segments.sketches["plan"]) <= 5
    assert segment_labels(ref.head(3), spec.segments[0]).to_list() == ref.head(3)["plan"].to_list()


def test_segment_sketches_survive_the_lake_round_trip(tmp_path: Path) -> None:
    from infranaut_pipelines.monitoring.reference import load_segments, store_reference
    from infranaut_pipelines.storage.object_store import open_store

    spec = parse_registry(SEGMENTED).model(MODEL)
    built = build_reference(spec, [DAY], lambda d: (_frame(5000, 1), None))
    assert built is not None
    store = open_store(tmp_path.as_uri())
    pointer = store_reference(store, built)
    loaded = load_segments(store, pointer)
    assert loaded is not None and loaded.sketches.keys() == built.segments.sketches.keys()
    assert {v: s.version for v, s in loaded.sketches["plan"].items()} == {
        v: s.version for v, s in built.segments.sketches["plan"].items()}


def test_report_shows_segments_worst_first_and_escapes_values() -> None:
    from infranaut_pipelines.reports import render_html

    spec, whole, _, results = _results(_frame(20000, 2, pro_shift=3.0))
    hostile = results[0].__class__(**{**results[0].to_dict(), "segment": "plan=<script>x</script>"})
    html = render_html(whole, "t", {"segments": [hostile.to_dict()] + [r.to_dict() for r in results[1:]],
                                    "segments_left_out": {"plan": 0}})
    assert 'id="segments"' in html and "<script>x</script>" not in html and "&lt;script&gt;" in html
    assert html.index("plan=&lt;script&gt;") < html.index("plan=basic")


def test_pdf_has_a_segments_page_and_keeps_them_off_the_summary() -> None:
    import io

    from pypdf import PdfReader

    from infranaut_pipelines.reports.pdf import daily_pdf

    spec, whole, _, results = _results(_frame(20000, 2, pro_shift=3.0))
    context = {"model_id": spec.id, "segments": [r.to_dict() for r in results], "segments_left_out": {"plan": 2}}
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(daily_pdf(whole, "t", context))).pages]
    segments = next(p for p in pages if p.startswith("Segments"))
    assert "2 value(s) of plan beyond max_values" in segments.replace("\n", " ")
    flat = segments.replace("\n", " ")
    assert flat.index("plan=pro") < flat.index("plan=basic")  # worst first, as in the HTML
    assert "monthly_spend" in flat  # the feature that drifted within plan=pro
    assert "plan=basic" not in pages[0] and "segments:" not in pages[0]  # not dumped as a context line
