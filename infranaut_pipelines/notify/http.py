"""One JSON POST for the HTTP channels (PagerDuty, webhook), every outcome classified for deliver_pending.

* 2xx: delivered;
* 429: retry after ``Retry-After`` (seconds) if given, else the usual backoff; nothing was accepted;
* 5xx, timeouts, resets: transient and *ambiguous* (the service may have processed it);
* refused connection, DNS failure: transient, certainly not delivered;
* other 4xx: permanent (a human must fix the request or the configuration), the reason kept.

URLs and secrets are never part of a message: a webhook URL often carries a token.
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from infranaut_pipelines.notify.slack import DeliveryError, _is_loopback

_REASON_MAX = 300


@dataclass(frozen=True)
class HttpReply:
    status: int
    body: Any  # parsed JSON, else the text


def validate_http_url(url: str | None, what: str) -> str:
    """https (http only to a loopback test server), with a host; the URL itself is never echoed."""
    if not url or not isinstance(url, str) or " " in url.strip():
        raise ValueError(f"{what} is missing or malformed")
    parts = urllib.parse.urlsplit(url.strip())
    host = parts.hostname or ""
    if not host or not (parts.scheme == "https" or (parts.scheme == "http" and _is_loopback(host))):
        raise ValueError(f"{what} must be an https:// URL (http only for a local test server)")
    return url.strip()


def post_json(url: str, body: bytes, headers: Mapping[str, str], timeout: float, label: str,
              scrub: tuple[str, ...] = ()) -> HttpReply:
    """POST ``body``; return the reply on 2xx, raise a classified DeliveryError otherwise.

    ``scrub``: secret strings to blank out of any reason text the service echoes back."""
    req = urllib.request.Request(url, data=body, method="POST",
                                 headers={"Content-Type": "application/json; charset=utf-8", **headers})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - validated scheme
            return HttpReply(resp.status, _parse(resp.read()))
    except urllib.error.HTTPError as exc:
        status = exc.code
        reason = _reason(_parse(exc.read()), scrub)
        if status == 429:
            raise DeliveryError(f"{label} rate limited (429)", status=429,
                                retry_after=_retry_after(exc.headers)) from None
        if status >= 500 or status == 408:
            raise DeliveryError(f"{label} HTTP {status}: {reason}", status=status, ambiguous=True) from None
        raise DeliveryError(f"{label} rejected the request (HTTP {status}): {reason}", status=status,
                            permanent=True) from None
    except Exception as exc:  # noqa: BLE001 - network layer: classify, never leak the request
        raw = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        name = type(raw).__name__
        if isinstance(raw, (ConnectionRefusedError, socket.gaierror)):
            raise DeliveryError(f"{label} unreachable ({name})") from None
        raise DeliveryError(f"{label} request failed ({name})", ambiguous=True) from None


def _parse(raw: bytes) -> Any:
    text = raw.decode("utf-8", "replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


def _reason(body: Any, scrub: tuple[str, ...]) -> str:
    if isinstance(body, dict):
        parts = [str(body.get(k)) for k in ("message", "status") if body.get(k)]
        errors = body.get("errors")
        if isinstance(errors, list) and errors:
            parts.append("; ".join(str(e) for e in errors))
        text = " - ".join(parts) or json.dumps(body)
    else:
        text = str(body).strip() or "(no body)"
    for secret in scrub:
        if secret:
            text = text.replace(secret, "***")
    return text[:_REASON_MAX]


def _retry_after(headers: Any) -> float | None:
    """Seconds to wait; None (= use the backoff) when the service gave no usable Retry-After."""
    raw = headers.get("Retry-After") if headers is not None else None
    try:
        return max(0.0, float(raw)) if raw is not None else None
    except (TypeError, ValueError):
        return None
