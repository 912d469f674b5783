"""Report links that open: a public base URL, a presigned S3 URL fetched over HTTP, the local report server."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import pytest

from infranaut_pipelines.reports.links import LinkSettings, page_href, relative_href, report_link
from infranaut_pipelines.settings import SettingsError, load
from infranaut_pipelines.storage import open_store
from infranaut_pipelines.storage.object_store import S3Store

KEY = "reports/churn model/2026-11-20/drift_report.html"
HTML = "<!doctype html><title>r</title><p>drift of <b>monthly_spend</b></p>".encode()


def _fetch(url: str) -> tuple[int, bytes, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:  # noqa: S310 - local test servers
            return resp.status, resp.read(), resp.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), exc.headers.get("Content-Type", "")


def test_presigned_link_on_s3_returns_the_html_over_http(s3_bucket) -> None:
    store = S3Store(s3_bucket.name, "infranaut", s3_bucket.client)
    store.write_bytes(KEY, HTML)
    url = report_link(store, KEY, LinkSettings(ttl_s=600))
    assert url.startswith(s3_bucket.server.endpoint_url) and "Signature" in url
    status, body, ctype = _fetch(url)
    assert (status, body) == (200, HTML)
    assert ctype.startswith("text/html")  # a browser shows it instead of downloading it
    # The signature is what opens it: the same object without it is refused.
    status, _, _ = _fetch(url.split("?", 1)[0])
    assert status == 403


def test_presigned_link_lives_as_long_as_configured(s3_bucket) -> None:
    import datetime as dt
    import time
    from urllib.parse import parse_qs, urlsplit

    store = S3Store(s3_bucket.name, "", s3_bucket.client)
    before = time.time()
    query = parse_qs(urlsplit(report_link(store, KEY, LinkSettings(ttl_s=86400))).query)
    if "X-Amz-Expires" in query:  # SigV4: a lifetime in seconds from X-Amz-Date
        assert query["X-Amz-Expires"] == ["86400"]
        signed = dt.datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.timezone.utc)
        assert abs(signed.timestamp() - before) < 60
    else:  # SigV2: an absolute expiry time
        assert abs(int(query["Expires"][0]) - (before + 86400)) < 60


def test_public_base_url_wins_and_escapes_the_path(s3_bucket, tmp_path: Path) -> None:
    links = LinkSettings(base_url="https://reports.acme.internal/infranaut/")
    for store in (S3Store(s3_bucket.name, "p", s3_bucket.client), open_store(str(tmp_path))):
        assert report_link(store, KEY, links) == \
            "https://reports.acme.internal/infranaut/churn%20model/2026-11-20/drift_report.html"


def test_local_lake_links_point_at_the_report_server(tmp_path: Path) -> None:
    store = open_store((tmp_path / "lake").as_uri())
    assert report_link(store, KEY, LinkSettings(serve_port=8123)) == \
        "http://127.0.0.1:8123/churn%20model/2026-11-20/drift_report.html"


def test_only_report_keys_get_links(tmp_path: Path) -> None:
    store = open_store(str(tmp_path))
    for bad in ("baselines/m/current.json", "reports/../baselines/x", "/etc/passwd"):
        with pytest.raises(ValueError):
            report_link(store, bad, LinkSettings())


def test_links_between_pages(s3_bucket, tmp_path: Path) -> None:
    trend = "reports/m/2026-11-20/trend.html"
    day = "reports/m/2026-11-03/drift_report.html"
    assert relative_href(trend, day) == "../2026-11-03/drift_report.html"
    assert page_href(open_store(str(tmp_path)), trend, day, LinkSettings()) == "../2026-11-03/drift_report.html"
    s3 = S3Store(s3_bucket.name, "", s3_bucket.client)
    assert "Signature" in page_href(s3, trend, day, LinkSettings())  # a signed page links to signed pages


def test_link_settings_are_checked() -> None:
    s = load({})
    assert (s.reports_base_url, s.report_link_ttl_s, s.reports_port, s.trend_days) == ("", 604800, 8040, 30)
    with pytest.raises(SettingsError, match="INFRANAUT_REPORT_LINK_TTL_S must be at most 604800"):
        load({"INFRANAUT_REPORT_LINK_TTL_S": "700000"})
    with pytest.raises(SettingsError, match="INFRANAUT_REPORTS_BASE_URL must be an http"):
        load({"INFRANAUT_REPORTS_BASE_URL": "s3://bucket/reports"})
    assert LinkSettings.from_settings(load({"INFRANAUT_REPORTS_PORT": "9001"})).serve_port == 9001
