"""Inline-SVG line charts over days for the trend page (no scripts, no CDN).

A day without a value breaks the line (a gap, never a zero); an optional band is shaded per day, a
threshold is a dashed line, days that fired alerts get a red tick under the axis, and every chart has a
value range on its y axis, dates on its x axis and a legend. Text passes through ``escape``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

W, H = 640, 170
LEFT, RIGHT, TOP, BOTTOM = 52, 10, 10, 52
COLOURS = ["#2f6db5", "#e0793c", "#4a9a5b", "#8e5bb5", "#b5852f"]
BAND, THRESHOLD, ALERT = "#cfdcec", "#b22222", "#d62728"


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[float | None]  # one per day; None = no data that day
    band: Sequence[tuple[float | None, float | None]] | None = None  # (lower, upper) per day


def _fmt(v: float) -> str:
    return f"{v:.3g}"


def line_chart(title: str, days: Sequence[dt.date], series: Sequence[Series], *, threshold: float | None = None,
               threshold_label: str = "threshold", alert_days: Sequence[bool] | None = None,
               y_label: str = "") -> Markup:
    n = len(days)
    vals = [v for s in series for v in s.values if v is not None]
    vals += [b for s in series for pair in (s.band or []) for b in pair if b is not None]
    if threshold is not None:
        vals.append(threshold)
    if not vals:
        return Markup(f'<p class="nodata">{escape(title)}: no data in this window</p>')
    lo, hi = min(vals), max(vals)
    if hi - lo < 1e-12:
        lo, hi = lo - (abs(lo) * 0.1 or 0.5), hi + (abs(hi) * 0.1 or 0.5)
    span = hi - lo
    # Padding never takes a scale of non-negative numbers (shares, rates, scores) below zero.
    lo, hi = (lo - span * 0.05 if lo - span * 0.05 >= 0 or lo < 0 else 0.0), hi + span * 0.05
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM

    def x(i: int) -> float:
        return LEFT + (pw * (i + 0.5) / n)

    def y(v: float) -> float:
        return TOP + ph * (1 - (v - lo) / (hi - lo))

    p = [f'<svg xmlns="http://www.w3.org/2000/svg" class="trend" width="{W}" height="{H}" '
         f'viewBox="0 0 {W} {H}" role="img"><title>{escape(title)}</title>',
         f'<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="#fafafa" stroke="#ccc"/>']
    for v in (lo, (lo + hi) / 2, hi):  # y axis: the value range
        p.append(f'<text x="{LEFT - 4}" y="{y(v) + 3:.1f}" font-size="10" text-anchor="end">{_fmt(v)}</text>')
    if y_label:
        p.append(f'<text x="10" y="{TOP + ph / 2:.0f}" font-size="10" transform="rotate(-90 10 {TOP + ph / 2:.0f})" '
                 f'text-anchor="middle">{escape(y_label)}</text>')
    step = max(1, n // 8)
    for i, d in enumerate(days):  # x axis: dates, every few days so they stay readable
        if i % step == 0 or i == n - 1:
            p.append(f'<text x="{x(i):.1f}" y="{TOP + ph + 12}" font-size="9" text-anchor="middle">'
                     f'{d.strftime("%m-%d")}</text>')
    bw = pw / n
    for s in series:
        for i, (lower, upper) in enumerate(s.band or []):
            if lower is not None and upper is not None:
                p.append(f'<rect class="band" x="{x(i) - bw / 2:.1f}" y="{y(upper):.1f}" width="{bw:.1f}" '
                         f'height="{max(y(lower) - y(upper), 0.5):.1f}" fill="{BAND}" opacity="0.8"/>')
    if threshold is not None:
        p.append(f'<line class="threshold" x1="{LEFT}" x2="{LEFT + pw}" y1="{y(threshold):.1f}" '
                 f'y2="{y(threshold):.1f}" stroke="{THRESHOLD}" stroke-dasharray="4 3"/>')
    for k, s in enumerate(series):
        colour = COLOURS[k % len(COLOURS)]
        segments, current = [], []
        for i, v in enumerate(s.values):
            if v is None:  # a gap: end the segment
                if current:
                    segments.append(current)
                current = []
            else:
                current.append((x(i), y(v)))
        if current:
            segments.append(current)
        for seg in segments:
            pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in seg)
            p.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="1.8"/>')
        for i, v in enumerate(s.values):
            if v is not None:
                p.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="2.5" fill="{colour}"><title>'
                         f'{escape(s.label)} {days[i].isoformat()}: {_fmt(v)}</title></circle>')
    for i, fired in enumerate(alert_days or []):
        if fired:
            p.append(f'<rect class="alert" x="{x(i) - 3:.1f}" y="{TOP + ph + 15}" width="6" height="6" fill="{ALERT}">'
                     f'<title>alert fired on {days[i].isoformat()}</title></rect>')
    # Legend: one entry per series, then the band, the threshold and the alert mark when drawn.
    items = [(COLOURS[k % len(COLOURS)], s.label, "line") for k, s in enumerate(series)]
    if any(s.band for s in series):
        items.append((BAND, "band (reference)", "box"))
    if threshold is not None:
        items.append((THRESHOLD, threshold_label, "dash"))
    if alert_days and any(alert_days):
        items.append((ALERT, "alert fired", "box"))
    lx, ly = LEFT, H - 10
    for colour, label, kind in items:
        if kind == "line":
            p.append(f'<line x1="{lx}" x2="{lx + 14}" y1="{ly - 3}" y2="{ly - 3}" stroke="{colour}" stroke-width="2"/>')
        elif kind == "dash":
            p.append(f'<line x1="{lx}" x2="{lx + 14}" y1="{ly - 3}" y2="{ly - 3}" stroke="{colour}" '
                     f'stroke-dasharray="4 3"/>')
        else:
            p.append(f'<rect x="{lx}" y="{ly - 8}" width="12" height="8" fill="{colour}"/>')
        text = escape(label)
        p.append(f'<text class="legend" x="{lx + 18}" y="{ly}" font-size="10">{text}</text>')
        lx += 28 + 6 * len(label)
    p.append("</svg>")
    return Markup("".join(p))
