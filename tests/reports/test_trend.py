"""The trend page of a model over fabricated days with a missing partition: gaps, not zeros; links; metadata."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import urllib.request
from pathlib import Path

import dagster as dg
import pytest
from dagster_aws.s3 import S3Resource

from infranaut_pipelines.assets.trend import model_trend
from infranaut_pipelines.monitoring.layout import report_prefix
from infranaut_pipelines.partitions import MODEL_PARTITIONS_NAME, partition_key
from infranaut_pipelines.reports.trend import TrendContext, render_trend_csv, render_trend_html, render_trend_json
from infranaut_pipelines.reports.trend_data import load_trend
from infranaut_pipelines.resources.storage import InfranautSettings, ObjectStoreResource, WarehouseResource
from infranaut_pipelines.warehouse import Warehouse
from tests.support.env import temporary_env
from tests.support.own_model import MODEL

from .fabricate import DRIFT_DAY, MISSING, N_DAYS, SCRIPT, Fabricated


def _ctx(fab: Fabricated) -> TrendContext:
    return TrendContext(MODEL, fab.spec.task, fab.spec.drift.drift_share, fab.spec.sla.latency_p95_ms,
                        fab.spec.sla.error_rate)


def test_missing_day_is_a_gap_not_a_zero(fab: Fabricated) -> None:
    days = load_trend(Warehouse(fab.warehouse_url), MODEL, fab.spec.task, fab.days[-1], N_DAYS)
    assert [d.day for d in days] == fab.days
    gap = next(d for d in days if d.day == MISSING)
    assert not gap.reported and gap.drift_share is None and gap.latency_p95_ms is None and gap.features == {}
    for d in days:
        if d.day != MISSING:
            assert d.drift_share == pytest.approx(fab.results[d.day].drift_share)
    last = days[-1]
    assert last.alerts == ["feature_drift(monthly_spend)"] and last.features["monthly_spend"].drifted

    rows = list(csv.DictReader(io.StringIO(render_trend_csv(days))))
    by_day = {r["day"]: r for r in rows}
    assert by_day[MISSING.isoformat()]["drift_share"] == "" and by_day[MISSING.isoformat()]["latency_p95_ms"] == ""
    assert by_day[MISSING.isoformat()]["reported"] == "false"
    assert float(by_day[DRIFT_DAY.isoformat()]["monthly_spend_score"]) > 0
    data = json.loads(render_trend_json(days, _ctx(fab)))
    gap_json = next(d for d in data["days"] if d["day"] == MISSING.isoformat())
    assert gap_json["drift_share"] is None and gap_json["error_rate"] is None
    assert data["summary"]["days_missing"] == 1 and data["summary"]["days_reported"] == N_DAYS - 1

    html = render_trend_html(days, _ctx(fab))
    share = re.search(r'<section id="drift_share">(.*?)</section>', html, re.S).group(1)
    lines = re.findall(r'<polyline points="([^"]+)"', share)
    # Days 1-2, then 4-5: two pieces of line around the gap, never a point dropped to zero.
    assert [len(pts.split()) for pts in lines] == [2, 2]
    assert len(re.findall(r"<circle ", share)) == N_DAYS - 1
    assert "1 missing: gaps in the charts" in html


def test_every_section_and_feature_is_drawn_with_axes_and_legend(fab: Fabricated) -> None:
    days = load_trend(Warehouse(fab.warehouse_url), MODEL, fab.spec.task, fab.days[-1], N_DAYS)
    html = render_trend_html(days, _ctx(fab))
    for section in ("drift_share", "features", "prediction", "multivariate", "performance", "sla", "quality", "days"):
        assert f'<section id="{section}">' in html, section
    for feature in ("tenure_months", "monthly_spend", "plan", "support_tickets", "autopay"):
        assert f"{feature} (" in html, feature
    assert 'class="threshold"' in html and 'class="legend"' in html and 'class="alert"' in html
    assert "SLA" in html and "dataset threshold" in html
    assert "<script" not in html and "http" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_trend_asset_writes_the_page_links_each_day_and_has_numeric_metadata(fab: Fabricated) -> None:
    resources = {
        "lake": ObjectStoreResource(url=fab.lake_url, s3=S3Resource()),
        "warehouse": WarehouseResource(url=fab.warehouse_url),
        "settings": InfranautSettings(registry_path=str(fab.registry_path)),
    }
    key = str(partition_key(DRIFT_DAY, MODEL))
    with dg.instance_for_test() as instance, temporary_env({"INFRANAUT_TREND_DAYS": str(N_DAYS),
                                                             "INFRANAUT_REPORTS_BASE_URL": None}):
        instance.add_dynamic_partitions(MODEL_PARTITIONS_NAME, [MODEL])
        result = dg.materialize([model_trend], resources=resources, partition_key=key, instance=instance)
    assert result.success
    meta = result.asset_materializations_for_node("model_trend")[0].metadata
    assert meta["days_reported"] == dg.MetadataValue.int(N_DAYS - 1)
    assert meta["days_missing"] == dg.MetadataValue.int(1)
    assert meta["days_with_alerts"] == dg.MetadataValue.int(1)
    assert isinstance(meta["last_drift_share"], dg.FloatMetadataValue)
    assert meta["last_drift_share"].value == pytest.approx(fab.results[DRIFT_DAY].drift_share, abs=1e-6)
    assert meta["trend_html"].value.startswith("http://127.0.0.1:")  # opens on `infranaut reports serve`
    folder = Path(fab.lake_url.removeprefix("file://")) / report_prefix(MODEL, DRIFT_DAY)
    html = (folder / "trend.html").read_text()
    links = re.findall(r'<a href="([^"]+)">drift report</a>', html)
    assert len(links) == N_DAYS - 1 and f"../{MISSING.isoformat()}/drift_report.html" not in links
    for href in links:  # each relative link reaches that day's real report
        assert (folder / href).resolve().is_file(), href
    assert {"trend.json", "trend.csv", "trend.pdf"} <= {p.name for p in folder.iterdir()}
    assert (folder / "trend.pdf").read_bytes().startswith(b"%PDF-")
    assert SCRIPT not in html


def test_on_an_s3_lake_the_trend_link_and_its_day_links_are_presigned_and_open(fab: Fabricated, s3_bucket) -> None:
    from infranaut_pipelines.storage import open_store
    from infranaut_pipelines.storage.object_store import S3Store

    local, s3 = open_store(fab.lake_url), S3Store(s3_bucket.name, "lake", s3_bucket.client)
    for obj in local.list("reports/"):
        if obj.key.endswith("drift_report.html"):
            s3.write_bytes(obj.key, local.read_bytes(obj.key))
    resources = {
        "lake": ObjectStoreResource(url=f"s3://{s3_bucket.name}/lake", s3=S3Resource()),
        "warehouse": WarehouseResource(url=fab.warehouse_url),
        "settings": InfranautSettings(registry_path=str(fab.registry_path)),
    }
    with dg.instance_for_test() as instance, temporary_env({"INFRANAUT_TREND_DAYS": str(N_DAYS),
                                                             "INFRANAUT_REPORTS_BASE_URL": None}):
        instance.add_dynamic_partitions(MODEL_PARTITIONS_NAME, [MODEL])
        result = dg.materialize([model_trend], resources=resources, partition_key=str(partition_key(DRIFT_DAY, MODEL)),
                                instance=instance)
    link = result.asset_materializations_for_node("model_trend")[0].metadata["trend_html"].value
    assert link.startswith(s3_bucket.server.endpoint_url) and "Signature" in link
    with urllib.request.urlopen(link, timeout=10) as resp:  # noqa: S310 - moto's local server
        assert resp.headers["Content-Type"].startswith("text/html")
        page = resp.read().decode()
    assert f"Trend: {MODEL}" in page
    days = re.findall(r'<a href="([^"]+)">drift report</a>', page)
    assert len(days) == N_DAYS - 1
    with urllib.request.urlopen(html.unescape(days[-1]), timeout=10) as resp:  # noqa: S310
        assert f"Drift report: {MODEL} on {DRIFT_DAY}" in resp.read().decode()
