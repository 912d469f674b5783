"""PDF exports: one page per section, the model and the drifted features in the text, data kept as text."""

from __future__ import annotations

import datetime as dt
import io

from pypdf import PdfReader

from infranaut_pipelines.alerting import evaluate, load_rules, root_causes
from infranaut_pipelines.alerting.render import render_fire
from infranaut_pipelines.monitoring.layout import report_html_key
from infranaut_pipelines.monitoring.signals import build_signals
from infranaut_pipelines.registry import load_registry
from infranaut_pipelines.reports.links import LinkSettings, report_link
from infranaut_pipelines.reports.pdf import daily_pdf, trend_pdf
from infranaut_pipelines.reports.trend import TrendContext, sections
from infranaut_pipelines.reports.trend_data import load_trend
from infranaut_pipelines.storage import open_store
from infranaut_pipelines.warehouse import Warehouse
from tests.support.own_model import MODEL

from .fabricate import DRIFT_DAY, N_DAYS, SCRIPT, Fabricated


def _pages(pdf: bytes) -> list[str]:
    assert pdf.startswith(b"%PDF-")
    return [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]


def test_daily_pdf_has_a_page_per_section_with_the_model_and_drifted_features(fab: Fabricated) -> None:
    result = fab.results[DRIFT_DAY]
    title = f"Drift report: {MODEL} on {DRIFT_DAY}"
    pages = _pages(daily_pdf(result, title, {"model_id": MODEL, "baseline_version": "v-test"}))
    starts = [p.splitlines()[0] for p in pages]
    for section in (title, "Checks", "Columns", "Charts: reference vs current"):
        assert section in starts, (section, starts)  # each section opens its own page
    drifted = [c.name for c in result.columns if c.drifted and c.role == "feature"]
    assert "monthly_spend" in drifted
    summary = pages[0]
    assert MODEL in summary and "Dataset drift: YES" in summary and "v-test" in summary
    assert "Drifted features: " + ", ".join(drifted) in summary.replace("\n", " ")
    columns = next(p for p in pages if p.startswith("Columns"))
    assert "new categories: " + SCRIPT in columns.replace("\n", "")  # shown as the text it is
    charts = "\n".join(p for p in pages if p.startswith("Charts") or "share of rows" in p)
    assert "reference" in charts and "basic" in charts  # legend and category names drawn


def test_trend_pdf_has_a_page_per_section(fab: Fabricated) -> None:
    days = load_trend(Warehouse(fab.warehouse_url), MODEL, fab.spec.task, fab.days[-1], N_DAYS)
    ctx = TrendContext(MODEL, fab.spec.task, fab.spec.drift.drift_share, fab.spec.sla.latency_p95_ms,
                       fab.spec.sla.error_rate)
    pages = _pages(trend_pdf(days, ctx))
    titles = [s["title"] for s in sections(days, ctx)]
    assert [p.splitlines()[0] for p in pages[1:]] == titles
    assert pages[0].startswith(f"Trend: {MODEL}") and "1 missing: gaps in the charts" in pages[0].replace("\n", " ")
    assert "no report" in pages[0] and "feature_drift(monthly_spend)" in pages[0]


def test_unicode_and_markup_from_data_do_not_break_the_pdf(fab: Fabricated) -> None:
    result = fab.results[DRIFT_DAY]
    pages = _pages(daily_pdf(result, "Drift \u2192 r\u00e9port \u6f22\u5b57", {"model_id": "m<b>\u2603", "x": SCRIPT}))
    assert "Drift -> r\u00e9port ??" in pages[0] and "m<b>?" in pages[0] and SCRIPT in pages[0]


def test_script_category_stays_text_in_the_slack_alert(fab: Fabricated) -> None:
    registry = load_registry(str(fab.registry_path))
    spec = registry.model(MODEL)
    lake = open_store(fab.lake_url)
    link = report_link(lake, report_html_key(MODEL, DRIFT_DAY), LinkSettings(serve_port=8040))
    now = dt.datetime(2026, 11, 21, 3, tzinfo=dt.timezone.utc)
    signals = build_signals(Warehouse(fab.warehouse_url), spec, DRIFT_DAY, now, report_url=link,
                            run_url="http://127.0.0.1:3000/runs/r1")
    assert SCRIPT in signals.new_categories["plan"]
    findings = evaluate(load_rules(None, registry), signals)
    assert findings
    flat = str(render_fire(MODEL, DRIFT_DAY, findings, root_causes(signals, findings), signals.run_url, link))
    # The new category reaches the message as a hint, its raw markup never does.
    assert "New categories" in flat and SCRIPT not in flat and "<script" not in flat
    assert f"<{link}|Drift report>" in flat  # the link opens on `infranaut reports serve`
