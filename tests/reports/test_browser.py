"""In a real browser: the trend link from the UI's metadata opens over http on the report server, its
charts render, and a day's link opens that day's drift report with readable charts.

Headless Chromium as in tests/e2e (skips without it on a laptop, installs it in CI). Screenshots land in
``test-artifacts/reports/``; with ``INFRANAUT_UPDATE_SCREENSHOTS=1`` the README's images in ``docs/images/``
are refreshed from them.
"""

from __future__ import annotations

import os
import shutil
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
from dagster_aws.s3 import S3Resource

from infranaut_pipelines.assets.trend import model_trend
from infranaut_pipelines.partitions import MODEL_PARTITIONS_NAME, partition_key
from infranaut_pipelines.resources.storage import InfranautSettings, ObjectStoreResource, WarehouseResource
from tests.e2e.browser import Browser, headless_chromium
from tests.support.env import temporary_env
from tests.support.own_model import MODEL

from .conftest import running_report_server
from .fabricate import DRIFT_DAY, MISSING, N_DAYS, SCRIPT, Fabricated

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts" / "reports"
README_IMAGES = REPO_ROOT / "docs" / "images"


def _publish(shot: Path, name: str) -> None:
    if os.environ.get("INFRANAUT_UPDATE_SCREENSHOTS") == "1":
        README_IMAGES.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, README_IMAGES / name)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with headless_chromium(ARTIFACTS) as b:
        yield b


@pytest.fixture(scope="module")
def served(fab: Fabricated) -> Iterator[str]:
    with running_report_server(Path(fab.lake_url.removeprefix("file://")) / "reports") as url:
        yield url


def _trend_links(fab: Fabricated, served: str) -> tuple[str, str]:
    """The ``trend_html`` link of a real materialization, with the report server's port configured."""
    resources = {"lake": ObjectStoreResource(url=fab.lake_url, s3=S3Resource()),
                 "warehouse": WarehouseResource(url=fab.warehouse_url),
                 "settings": InfranautSettings(registry_path=str(fab.registry_path))}
    env = {"INFRANAUT_TREND_DAYS": str(N_DAYS), "INFRANAUT_REPORTS_PORT": str(urllib.parse.urlsplit(served).port),
           "INFRANAUT_REPORTS_BASE_URL": None}
    with dg.instance_for_test() as instance, temporary_env(env):
        instance.add_dynamic_partitions(MODEL_PARTITIONS_NAME, [MODEL])
        result = dg.materialize([model_trend], resources=resources, partition_key=str(partition_key(DRIFT_DAY, MODEL)),
                                instance=instance)
    meta = result.asset_materializations_for_node("model_trend")[0].metadata
    return meta["trend_html"].value, meta["trend_pdf"].value


def test_trend_and_report_open_over_http_with_their_charts(fab: Fabricated, served: str, browser: Browser) -> None:
    link, pdf_link = _trend_links(fab, served)
    assert link.startswith(served + "/") and pdf_link.startswith(served + "/")
    browser.set_window_size(1400, 1000)
    browser.get(link)
    text = browser.wait_for_text([f"Trend: {MODEL}", "Dataset drift share", "Feature drift scores", "SLA"], timeout=30)
    assert "1 missing: gaps in the charts" in text
    charts = browser.js("""return Array.from(document.querySelectorAll('svg.trend')).map(s => {
        const r = s.getBoundingClientRect();
        return {w: r.width, h: r.height, lines: s.querySelectorAll('polyline').length,
                legend: Array.from(s.querySelectorAll('text.legend')).map(t => t.textContent)}; });""")
    drawn = [c for c in charts if c["w"] > 300 and c["h"] > 100 and c["lines"] >= 1]
    assert len(drawn) >= 10, charts  # drift share, five features, prediction, multivariate, SLA x2, quality
    assert all(c["legend"] for c in drawn)
    # Every resource came from the report server itself: no CDN, no web font.
    loaded = browser.js("return performance.getEntriesByType('resource').map(e => e.name);")
    assert all(u.startswith(served) for u in loaded), loaded
    height = int(browser.js("return Math.min(document.documentElement.scrollHeight, 2600);"))
    browser.set_window_size(1400, max(height, 900))
    shot = browser.screenshot(ARTIFACTS / "trend.png")
    assert shot.stat().st_size > 20_000
    _publish(shot, "trend.png")

    hrefs = browser.js("return Array.from(document.querySelectorAll('#days a')).map(a => a.href);")
    assert len(hrefs) == N_DAYS - 1 and not any(MISSING.isoformat() in h for h in hrefs)
    day_link = next(h for h in hrefs if DRIFT_DAY.isoformat() in h)
    browser.set_window_size(1400, 1000)
    browser.get(day_link)
    text = browser.wait_for_text([f"Drift report: {MODEL}", "Dataset drift: YES", "monthly_spend"], timeout=30)
    assert SCRIPT in text  # the hostile category is shown as text...
    assert browser.js("return document.querySelectorAll('script').length;") == 0  # ...and never became a script
    labels = browser.js("return Array.from(document.querySelectorAll('text.category')).map(t => t.firstChild.textContent);")
    assert {"basic", "plus", "pro"} <= set(labels)
    height = int(browser.js("return Math.min(document.documentElement.scrollHeight, 2000);"))
    browser.set_window_size(1400, max(height, 900))
    shot = browser.screenshot(ARTIFACTS / "drift_report_http.png")
    assert shot.stat().st_size > 20_000

    # The PDF beside it opens in the browser's own viewer from the same server.
    with urllib.request.urlopen(pdf_link, timeout=10) as resp:  # noqa: S310 - the local report server
        assert resp.headers["Content-Type"] == "application/pdf" and resp.read(5) == b"%PDF-"
    browser.set_window_size(1400, 1000)
    browser.get(pdf_link)
    time.sleep(3)  # the viewer draws asynchronously and exposes no DOM to wait on
    shot = browser.screenshot(ARTIFACTS / "trend_pdf.png")
    assert shot.stat().st_size > 30_000  # a blank viewer is a few KB
    _publish(shot, "trend_pdf.png")
