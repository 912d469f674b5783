"""PDF exports of the daily drift report and of the trend page, with fpdf2 (pure Python, offline).

Each section starts on its own page. The charts are the same inline SVGs as the HTML pages, drawn by
fpdf2's SVG support, so both formats always show the same picture. Values from data are placed as text
(fpdf2 interprets no markup unless asked), and characters outside the PDF core fonts' Latin-1 become '?'
instead of failing the report.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from infranaut_pipelines.drift.result import DriftResult, json_safe
from infranaut_pipelines.reports.charts import column_chart
from infranaut_pipelines.reports.trend import TrendContext, sections, summary
from infranaut_pipelines.reports.trend_data import TrendDay

# fpdf2 logs each SVG element it skips (our <title> tooltips): noise, not a problem.
logging.getLogger("fpdf.svg").setLevel(logging.ERROR)
_TITLE = re.compile(r"<title>.*?</title>", re.S)
_PX_TO_MM = 25.4 / 96


def text(value: Any) -> str:
    """Any value as text the core fonts can draw."""
    s = _fmt(value)
    s = s.replace("\u2026", "...").replace("\u2192", "->").replace("\u2014", "-").replace("\u00b7", "-")
    return s.encode("latin-1", "replace").decode("latin-1")


def _fmt(x: Any) -> str:
    if isinstance(x, float):
        return f"{x:.4g}"
    return "" if x is None else str(x)


@cache
def _doc_class() -> type:
    """The document class, built on first use: fpdf2 takes ~0.5 s to import, and the drift report module that
    imports this one is loaded with the code location by every process, most of which write no PDF."""
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    class _Doc(FPDF):
        def __init__(self, title: str) -> None:
            super().__init__(orientation="portrait", unit="mm", format="A4")
            self.doc_title = text(title)
            self.set_title(self.doc_title)
            self.set_creator("Infranaut Pipelines")
            self.set_auto_page_break(auto=True, margin=14)
            self.set_margins(12, 12, 12)

        def footer(self) -> None:
            self.set_y(-10)
            self.set_font("Helvetica", size=7)
            self.set_text_color(120)
            self.cell(0, 5, f"{self.doc_title} - page {self.page_no()}", align="C")
            self.set_text_color(0)

        def section(self, title: str) -> None:
            self.add_page()
            self.set_font("Helvetica", "B", 14)
            self.multi_cell(0, 7, text(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.ln(1)
            self.set_font("Helvetica", size=9)

        def line_text(self, value: str, bold: bool = False, link: str = "") -> None:
            self.set_font("Helvetica", "B" if bold else "", 9)
            url = link if link.startswith(("https://", "http://")) else ""
            self.multi_cell(0, 5, text(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT, link=url)

        def pairs(self, rows: Mapping[str, Any]) -> None:
            for k, v in rows.items():
                value = text(v)
                self.line_text(f"{text(k)}: {value}", link=value)

        def grid(self, header: Sequence[str], rows: Sequence[Sequence[Any]], widths: Sequence[float]) -> None:
            self.set_font("Helvetica", size=8)
            with self.table(col_widths=tuple(widths), text_align="LEFT", line_height=4.5,
                            first_row_as_headings=True) as table:
                for row in [header, *rows]:
                    r = table.row()
                    for cell in row:
                        r.cell(text(cell))
            self.set_font("Helvetica", size=9)

        def svg(self, markup: str, width_mm: float | None = None) -> None:
            if not markup.startswith("<svg"):
                self.line_text(re.sub(r"<[^>]+>", "", markup))  # a "no data" note, not a chart
                return
            source = text(_TITLE.sub("", markup))
            width = float(re.search(r'width="([\d.]+)"', source).group(1)) * _PX_TO_MM
            self.image(io.BytesIO(source.encode("latin-1")), w=min(width_mm or width, self.epw))
            self.ln(2)

    return _Doc


def _new_doc(title: str) -> Any:
    return _doc_class()(title)


def daily_pdf(result: DriftResult, title: str, context: Mapping[str, Any] | None = None) -> bytes:
    """Summary, checks, columns, charts: one section per page."""
    context = json_safe(dict(context or {}))
    doc = _new_doc(title)
    doc.section(title)
    doc.pairs({k: v for k, v in context.items() if k not in _SEGMENT_KEYS})
    partial = (not result.dataset_drift) and result.n_drifted > 0
    verdict = "YES" if result.dataset_drift else ("partial" if partial else "no")
    doc.ln(2)
    doc.line_text(f"Dataset drift: {verdict} - {result.n_drifted} drifted feature(s), share "
                  f"{_fmt(result.drift_share)} (dataset threshold {_fmt(result.drift_share_threshold)})", bold=True)
    drifted = [c.name for c in result.columns if c.drifted and c.role == "feature"]
    doc.line_text("Drifted features: " + (", ".join(drifted) or "none"))
    doc.line_text(f"Reference rows {result.n_reference}, current rows {result.n_current}")

    doc.section("Checks")
    mv = result.multivariate
    doc.line_text("Multivariate drift", bold=True)
    doc.line_text("not computed" if mv is None else mv.error or (
        f"PCA reconstruction error: current {_fmt(mv.current_error)}, band [{_fmt(mv.lower)}, "
        f"{_fmt(mv.upper)}] -> {'drift' if mv.drifted else 'no drift'}"))
    est = result.estimated_performance
    doc.line_text("Estimated accuracy (before labels)", bold=True)
    doc.line_text("not computed" if est is None else est.error or (
        f"{est.method}: estimated {_fmt(est.estimated)}, reference "
        f"{_fmt(est.reference_actual)} -> {'degraded' if est.degraded else 'ok'}"))
    perf = result.performance
    doc.line_text("Performance (labelled rows)", bold=True)
    if perf is not None and perf.metrics:
        doc.grid(["metric", "reference", "current", "degraded"],
                 [[k, m.reference, m.current, m.degraded] for k, m in perf.metrics.items()],
                 (50, 40, 40, 30))
    else:
        doc.line_text((perf.error if perf is not None else None) or "no labels for this day")

    if "segments" in context:
        _segments(doc, context)

    doc.section("Columns")
    rows = []
    for c in result.columns:
        detail = c.error or (c.status if c.status != "ok" else "")
        if c.stats.get("n_new_categories"):
            detail = (detail + "; " if detail else "") + "new categories: " + ", ".join(map(str, c.stats["new_categories"]))
        rows.append([f"{c.name} ({c.kind})", c.role, c.method or "", c.score, c.threshold,
                     "YES" if c.drifted else "no", detail])
    doc.grid(["column", "role", "method", "score", "threshold", "drifted", "details"], rows, (36, 18, 24, 18, 18, 14, 58))

    doc.section("Charts: reference vs current")
    for c in result.columns:
        if c.error is None and (chart := str(column_chart(c.stats, c.name))):
            if doc.will_page_break(60):  # keep a column's name on the page of its chart
                doc.add_page()
            doc.line_text(f"{c.name}{' - drifted' if c.drifted else ''}", bold=True)
            doc.svg(chart, width_mm=120)
    return bytes(doc.output())


# The report context's per-segment results: a section of their own, as in the HTML report, not context lines.
_SEGMENT_KEYS = ("segments", "segments_left_out", "segments_note")


def _segments(doc: Any, context: Mapping[str, Any]) -> None:  # the lazily built _Doc
    doc.section("Segments")
    if context.get("segments_note"):
        doc.line_text(str(context["segments_note"]))
    doc.line_text("Each segment against the same segment of the baseline, worst first. Too small: fewer rows than "
                  "the segment's minimum that day (not scored). No reference: a value the baseline did not have.")
    for column, n in (context.get("segments_left_out") or {}).items():
        if n:
            doc.line_text(f"{n} value(s) of {column} beyond max_values not monitored.")
    rows = []
    for seg in context.get("segments") or []:
        perf, est = seg.get("performance"), seg.get("estimated_performance")
        shown = [f"{p['metric']} {_fmt(p.get('value'))} vs {_fmt(p.get('baseline'))}" for p in (perf,) if p]
        shown += [f"estimated {_fmt(p.get('value'))} vs {_fmt(p.get('baseline'))}" for p in (est,) if p]
        rows.append([seg.get("segment"), seg.get("rows"), seg.get("status"), seg.get("drift_share"),
                     ", ".join(f"{f} ({_fmt(x)})" for f, x in (seg.get("drifted") or {}).items()),
                     "; ".join(shown), f"{_fmt(seg.get('latency_p95_ms'))} / {_fmt(seg.get('error_rate'))}"])
    doc.grid(["segment", "rows", "status", "drift share", "drifted features (x threshold)", "performance",
              "p95 ms / error rate"], rows, (34, 14, 20, 16, 42, 36, 24))


def trend_pdf(days: Sequence[TrendDay], ctx: TrendContext) -> bytes:
    """Summary and days, then one page per chart section of the trend page."""
    title = f"Trend: {ctx.model_id}, {days[0].day.isoformat()} .. {days[-1].day.isoformat()}"
    doc = _new_doc(title)
    doc.section(title)
    doc.pairs({"model": ctx.model_id, "task": ctx.task, **ctx.extra})
    s = summary(days)
    doc.ln(2)
    doc.line_text(f"{s['days_reported']} of {s['days']} days reported ({s['days_missing']} missing: gaps in the "
                  f"charts); dataset drift on {s['days_dataset_drift']} day(s); alerts fired on "
                  f"{s['days_with_alerts']} day(s)", bold=True)
    rows = [[d.day.isoformat(), "yes" if d.reported else "no report", d.drift_share,
             ", ".join(sorted(n for n, f in d.features.items() if f.drifted)), d.latency_p95_ms, d.error_rate,
             d.quality_score, ", ".join(d.alerts)] for d in days]
    doc.grid(["day", "report", "share", "drifted features", "p95 ms", "errors", "quality", "alerts"],
             rows, (21, 18, 13, 46, 14, 14, 14, 46))
    for sec in sections(days, ctx):
        doc.section(sec["title"])
        doc.line_text(sec["note"])
        for chart in sec["charts"]:
            doc.svg(str(chart), width_mm=170)
    return bytes(doc.output())
