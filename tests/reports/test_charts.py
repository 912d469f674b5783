"""Charts a person can read: category names, value ranges, a legend; the baseline and the run named."""

from __future__ import annotations

import re

import numpy as np
import polars as pl

from infranaut_pipelines.drift import ColumnSpec, build_sketch, compare
from infranaut_pipelines.reports import render_html
from infranaut_pipelines.reports.charts import column_chart

SCRIPT = "<script>alert(1)</script>"


def _result():
    rng = np.random.default_rng(3)
    ref = pl.DataFrame({"amount": rng.gamma(2.0, 50.0, 600), "channel": rng.choice(["web", "store", "app"], 600)})
    cur = pl.DataFrame({"amount": rng.gamma(2.0, 90.0, 600),
                        "channel": rng.choice(["web", "store", SCRIPT], 600).tolist()})
    specs = [ColumnSpec("amount", "numeric"), ColumnSpec("channel", "categorical")]
    return compare(build_sketch(ref, specs), cur, specs), ref


def test_categorical_bars_carry_their_names_escaped() -> None:
    result, _ = _result()
    chart = str(column_chart(result.column("channel").stats, "channel"))
    names = re.findall(r'<text class="category"[^>]*>([^<]*)<title>([^<]*)</title>', chart)
    full = {t for _, t in names}
    assert {"web", "store", "app"} <= full
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in full and SCRIPT not in chart
    assert re.findall(r'class="legend"[^>]*>(\w+)<', chart) == ["reference", "current"]


def test_histogram_axis_shows_the_value_range() -> None:
    result, ref = _result()
    stats = result.column("amount").stats
    chart = str(column_chart(stats, "amount"))
    ticks = [float(t) for t in re.findall(r'<text class="tick"[^>]*>([^<]+)<', chart)]
    edges = stats["histogram"]["edges"]
    assert ticks[0] == float(f"{edges[0]:.4g}") and ticks[-1] == float(f"{edges[-1]:.4g}")
    assert ticks[0] <= float(ref["amount"].min()) + 1e-9 and len(ticks) == 3
    assert "share of rows" in chart


def test_report_names_the_baseline_and_links_the_run() -> None:
    result, _ = _result()
    context = {"model_id": "m", "baseline_version": "v42", "baseline_window": "2026-11-01 .. 2026-11-07",
               "run_url": "https://dagster.acme.internal/runs/abc"}
    html = render_html(result, "Drift report: m", context)
    baseline = re.search(r'<p id="baseline">(.*?)</p>', html, re.S).group(1)
    assert "<b>v42</b>" in baseline and "2026-11-01 .. 2026-11-07" in baseline
    assert '<a href="https://dagster.acme.internal/runs/abc">' in baseline
    assert SCRIPT not in html and "&lt;script&gt;" in html
    hostile = render_html(result, "t", {"baseline_version": "v1", "run_url": "javascript:alert(1)"})
    assert 'href="javascript:' not in hostile  # only http(s) values become links
