"""Links to report files that a person can open, in every deployment.

A ``file://`` link does nothing in a browser ("Not allowed to load local resource") and an ``s3://`` URI
needs the AWS console, so neither is ever handed to a user. In order of preference:

1. a public base URL for the lake's ``reports/`` folder (a static site or CDN in front of it), when set;
2. on an S3 lake, a presigned HTTPS URL that works without credentials for a configured lifetime;
3. on a local lake, a URL on ``infranaut reports serve`` (read-only, 127.0.0.1).

Pure: the store and the settings come from the caller.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import quote

from infranaut_pipelines.settings import Settings
from infranaut_pipelines.storage.object_store import safe_key

REPORTS_FOLDER = "reports/"
SERVE_HOST = "127.0.0.1"


class _Store(Protocol):
    url: str


@dataclass(frozen=True)
class LinkSettings:
    base_url: str = ""  # public URL of the reports/ folder; "" = none
    ttl_s: int = 604800  # presigned link lifetime
    serve_port: int = 8040

    @classmethod
    def from_settings(cls, settings: Settings) -> "LinkSettings":
        return cls(base_url=settings.reports_base_url, ttl_s=settings.report_link_ttl_s,
                   serve_port=settings.reports_port)


def reports_path(key: str) -> str:
    """The part of a lake key below ``reports/`` (what the server and the public site serve)."""
    key = safe_key(key)
    if not key.startswith(REPORTS_FOLDER):
        raise ValueError(f"not a report key (expected it under {REPORTS_FOLDER}): {key!r}")
    return key[len(REPORTS_FOLDER):]


def serve_url(port: int) -> str:
    return f"http://{SERVE_HOST}:{port}/"


def report_link(store: _Store, key: str, links: LinkSettings) -> str:
    """The URL a person clicks to open the lake object ``key`` (a file under ``reports/``)."""
    path = quote(reports_path(key))
    if links.base_url:
        return f"{links.base_url.rstrip('/')}/{path}"
    presign = getattr(store, "presign", None)
    if presign is not None:  # an S3 lake
        return str(presign(key, links.ttl_s))
    return serve_url(links.serve_port) + path


def relative_href(from_key: str, to_key: str) -> str:
    """A link from one report file to another that works wherever both are served side by side
    (the report server, a public site, a copied folder opened from disk)."""
    start = posixpath.dirname(safe_key(from_key))
    return quote(posixpath.relpath(safe_key(to_key), start or "."))


def page_href(store: _Store, from_key: str, to_key: str, links: LinkSettings) -> str:
    """A link inside a report page. Relative when the pages are served together; on a presigned S3 lake each
    page is its own signed URL (a relative link would lose the signature), so it is presigned too."""
    if not links.base_url and getattr(store, "presign", None) is not None:
        return report_link(store, to_key, links)
    return relative_href(from_key, to_key)
