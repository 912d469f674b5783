"""Post Block Kit messages to Slack, classifying every failure for the retry policy in alerting.deliver.

Two transports: an incoming webhook URL, or the Web API (``chat.postMessage``) with a bot token through
slack_sdk's ``WebClient`` — the same client dagster-slack's ``SlackResource.get_client()`` returns, so the
Dagster side can hand that in. slack_sdk's own retry handlers are switched off: retrying is decided in one
place (deliver_pending), where it can honour Retry-After and record attempts in the outbox.

Secrets: the token and the webhook URL never appear in an exception message, a log line or a payload.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, Mapping

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

METADATA_EVENT_TYPE = "infranaut_alert"
_DEFAULT_BASE_URL = "https://slack.com/api/"
# Web API errors worth retrying; every other error (channel_not_found, invalid_auth, ...) needs a human.
_TRANSIENT_API_ERRORS = {"internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited"}


class DeliveryError(Exception):
    """A failed post. ``retry_after``: seconds Slack asked us to wait (429). ``permanent``: retrying will not
    help. ``ambiguous``: Slack may have posted the message despite the error (timeout, 5xx, reset)."""

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None,
                 permanent: bool = False, ambiguous: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after
        self.permanent = permanent
        self.ambiguous = ambiguous


@dataclass(frozen=True)
class SendResult:
    ts: str | None
    channel_id: str | None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_webhook_url(url: str | None) -> str:
    """https with a host and a path (http only to a loopback test server). The URL is a secret: not echoed."""
    if not url or not isinstance(url, str):
        raise ValueError("Slack webhook URL is missing")
    parts = urllib.parse.urlsplit(url.strip())
    host = parts.hostname or ""
    ok_scheme = parts.scheme == "https" or (parts.scheme == "http" and _is_loopback(host))
    if not ok_scheme or not host or len(parts.path) < 2 or " " in url:
        raise ValueError("Slack webhook URL is malformed: expected https://hooks.slack.com/services/T.../B.../... "
                         "(http is only accepted for a local test server)")
    return url.strip()


def validate_token(token: str | None) -> str:
    if not token or not isinstance(token, str) or not token.strip():
        raise ValueError("Slack bot token is missing (set it, e.g. SLACK_BOT_TOKEN)")
    if not token.startswith(("xoxb-", "xoxp-", "xoxe.", "xoxa-")) or any(c.isspace() for c in token.strip()):
        raise ValueError("Slack token does not look like a Slack token (expected it to start with 'xoxb-')")
    return token.strip()


class SlackSender:
    """Exactly one of ``webhook_url``, ``token`` or ``client`` (a ready ``slack_sdk.WebClient``)."""

    def __init__(self, *, webhook_url: str | None = None, token: str | None = None, client: WebClient | None = None,
                 base_url: str | None = None, timeout: float = 10.0,
                 channel_webhooks: Mapping[str, str] | None = None) -> None:
        given = [x is not None for x in (webhook_url, token, client)]
        if sum(given) != 1:
            raise ValueError("SlackSender needs exactly one of webhook_url, token or client")
        self.timeout = timeout
        self._webhook: str | None = None
        self._channel_webhooks: dict[str, str] = {}
        self._client: WebClient | None = None
        if webhook_url is not None:
            self._webhook = validate_webhook_url(webhook_url)
            # Incoming webhooks post to one fixed channel: route other channels through their own hooks.
            self._channel_webhooks = {c: validate_webhook_url(u) for c, u in (channel_webhooks or {}).items()}
        else:
            if client is not None:
                token = validate_token(client.token)
                base_url = base_url or client.base_url
            else:
                token = validate_token(token)
            self._client = WebClient(token=token, base_url=_base(base_url), timeout=int(max(1, timeout)),
                                     retry_handlers=[])
            if client is not None:  # keep proxy/ssl settings of the client we were given
                self._client.ssl, self._client.proxy = client.ssl, client.proxy
        self._channel_ids: dict[str, str] = {}

    @property
    def transport(self) -> str:
        return "web_api" if self._client is not None else "webhook"

    @property
    def supports_lookup(self) -> bool:
        """Web API only: a message can be found again by its metadata, so an in-doubt post is not repeated."""
        return self._client is not None

    def __repr__(self) -> str:  # never the token or URL
        return f"SlackSender(transport={self.transport!r})"

    # --- sending ---------------------------------------------------------------------------------------
    def send(self, channel: str, payload: Mapping[str, Any], key: str) -> SendResult:
        """Post ``payload`` ({"text", "blocks"}) to ``channel``; ``key`` is the idempotency marker (outbox id)."""
        if self._client is not None:
            return self._send_api(channel, payload, key)
        return self._send_webhook(channel, payload, key)

    def _send_api(self, channel: str, payload: Mapping[str, Any], key: str) -> SendResult:
        assert self._client is not None
        try:
            resp = self._client.chat_postMessage(
                channel=channel, text=payload.get("text", ""), blocks=payload.get("blocks"),
                metadata={"event_type": METADATA_EVENT_TYPE, "event_payload": {"outbox_id": key}},
                unfurl_links=False, unfurl_media=False,
            )
        except SlackApiError as exc:
            raise _api_error(exc) from None
        except Exception as exc:  # noqa: BLE001 - network layer: classify, never leak the request
            raise _network_error(exc) from None
        cid = resp.get("channel")
        if cid and channel.startswith("#"):
            self._channel_ids[channel] = cid
        return SendResult(resp.get("ts"), cid)

    def _send_webhook(self, channel: str, payload: Mapping[str, Any], key: str) -> SendResult:
        url = self._channel_webhooks.get(channel, self._webhook)
        assert url is not None
        body = dict(payload)
        # Webhooks ignore message metadata; a visible reference still lets a human spot a duplicate.
        body["blocks"] = list(body.get("blocks") or []) + [
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f"ref `alert-{key}`"}]}]
        data = json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310 - validated scheme
                resp.read()
                return SendResult(None, None)
        except urllib.error.HTTPError as exc:
            text = exc.read().decode("utf-8", "replace")[:200]
            status = exc.code
            if status == 429:
                raise DeliveryError("webhook rate limited (429)", status=429,
                                    retry_after=_retry_after(exc.headers)) from None
            if status >= 500:
                raise DeliveryError(f"webhook HTTP {status}: {text}", status=status, ambiguous=True) from None
            raise DeliveryError(f"webhook HTTP {status}: {text}", status=status, permanent=True) from None
        except Exception as exc:  # noqa: BLE001
            raise _network_error(exc) from None

    # --- reconciliation ----------------------------------------------------------------------------------
    def find_delivered(self, channel: str, key: str, since: dt.datetime) -> SendResult | None:
        """Look for a message we may already have posted (crash or timeout after Slack accepted it).

        Needs the channels:history (and, for '#name' channels, channels:read) scopes; raises DeliveryError if
        the lookup itself fails, so the caller can decide to re-post (and accept a possible duplicate).
        """
        if self._client is None:
            return None
        try:
            cid = self._channel_id(channel)
            oldest = (since if since.tzinfo else since.replace(tzinfo=dt.timezone.utc)).timestamp() - 60
            cursor = None
            while True:
                resp = self._client.conversations_history(channel=cid, oldest=f"{oldest:.6f}", limit=200,
                                                          include_all_metadata=True, cursor=cursor)
                for msg in resp.get("messages", []):
                    meta = msg.get("metadata") or {}
                    if meta.get("event_type") == METADATA_EVENT_TYPE and \
                            str((meta.get("event_payload") or {}).get("outbox_id")) == str(key):
                        return SendResult(msg.get("ts"), cid)
                cursor = (resp.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    return None
        except SlackApiError as exc:
            raise _api_error(exc) from None
        except DeliveryError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise _network_error(exc) from None

    def _channel_id(self, channel: str) -> str:
        if not channel.startswith("#"):
            return channel
        if channel in self._channel_ids:
            return self._channel_ids[channel]
        assert self._client is not None
        cursor = None
        while True:
            resp = self._client.conversations_list(limit=1000, exclude_archived=True, cursor=cursor,
                                                   types="public_channel,private_channel")
            for ch in resp.get("channels", []):
                self._channel_ids["#" + ch.get("name", "")] = ch.get("id")
            if channel in self._channel_ids:
                return self._channel_ids[channel]
            cursor = (resp.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                raise DeliveryError(f"channel {channel} not found (is the bot a member?)", permanent=True)


def _base(base_url: str | None) -> str:
    b = base_url or _DEFAULT_BASE_URL
    parts = urllib.parse.urlsplit(b)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("Slack base_url must be an http(s) URL such as https://slack.com/api/")
    return b if b.endswith("/") else b + "/"


def _retry_after(headers: Any) -> float:
    try:
        return max(0.0, float(headers.get("Retry-After") or headers.get("retry-after") or 1))
    except (TypeError, ValueError):
        return 1.0


def _api_error(exc: SlackApiError) -> DeliveryError:
    resp = exc.response
    status = getattr(resp, "status_code", None)
    data = getattr(resp, "data", None)
    err = data.get("error") if isinstance(data, dict) else None
    label = err or f"HTTP {status}"
    if status == 429 or err == "ratelimited":
        return DeliveryError(f"Slack API rate limited ({label})", status=status,
                             retry_after=_retry_after(getattr(resp, "headers", {}) or {}))
    if (status or 0) >= 500 or err in _TRANSIENT_API_ERRORS:
        return DeliveryError(f"Slack API error: {label}", status=status, ambiguous=True)
    return DeliveryError(f"Slack API error: {label}", status=status, permanent=True)


def _network_error(exc: Exception) -> DeliveryError:
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    name = type(reason).__name__
    if isinstance(reason, (ConnectionRefusedError, socket.gaierror)):
        # Never reached Slack (refused, DNS): nothing was posted, safe to retry.
        return DeliveryError(f"Slack unreachable ({name})")
    # Timeout, reset, garbled response: the request may have been processed.
    return DeliveryError(f"Slack request failed ({name})", ambiguous=True)
