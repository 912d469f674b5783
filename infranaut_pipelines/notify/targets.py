"""Where an alert can go: the route grammar shared by the rules file and the registry.

A route is one target or a list of them:

* ``#channel-name`` or a Slack channel id (``C0123ABCD``): Slack;
* ``pagerduty``: the PagerDuty service of ``INFRANAUT_PAGERDUTY_ROUTING_KEY``;
* ``email`` (the ``INFRANAUT_ALERT_EMAIL_TO`` recipients) or ``email:oncall@acme.com,lead@acme.com``;
* ``webhook``: the JSON webhook at ``INFRANAUT_ALERT_WEBHOOK_URL``.

Internally a route is one string, its targets joined by a space (no target contains one), so the alert
state and the outbox keep their single ``channel`` column; every outbox row holds exactly one target.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TRANSPORTS: tuple[str, ...] = ("slack", "pagerduty", "email", "webhook")
_SLACK = re.compile(r"#[a-z0-9_\-.]{1,80}|[CGD][A-Z0-9]{6,20}")
# Deliberately simple: one @, no spaces or markup; the SMTP server is the judge of the rest.
_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)+")
EXPECTED = ("a '#channel-name', a Slack channel id, 'pagerduty', 'email', 'email:<address>[,<address>]' "
            "or 'webhook'")


@dataclass(frozen=True)
class Target:
    transport: str  # one of TRANSPORTS
    raw: str  # as written (canonical form)
    addresses: tuple[str, ...] = ()  # email only; empty = the configured default recipients


def parse_target(value: str) -> Target:
    """One target, or a ValueError naming what is expected (a typo must not become a silent non-alert)."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"empty channel: expected {EXPECTED}")
    v = value.strip()
    if _SLACK.fullmatch(v):
        return Target("slack", v)
    if v in ("pagerduty", "webhook", "email"):
        return Target(v, v)
    if v.startswith("email:"):
        addresses = tuple(a.strip() for a in v[len("email:"):].split(",") if a.strip())
        bad = [a for a in addresses if not _ADDRESS.fullmatch(a)]
        if not addresses or bad:
            raise ValueError(f"channel {v!r}: not an email address: {bad or '(none given)'}")
        return Target("email", "email:" + ",".join(addresses), addresses)
    raise ValueError(f"unknown channel {v!r}: it is not {EXPECTED}")


def normalize_route(value: str | list[str] | tuple[str, ...] | None) -> str | None:
    """A route as written (one target or a list) -> the canonical space-joined string, duplicates dropped."""
    if value is None:
        return None
    # A string may be a stored route already ("#a pagerduty"); ", " inside an email target is one target.
    items = [part for item in ([value] if isinstance(value, str) else list(value))
             for part in re.sub(r",\s+", ",", str(item)).split()]
    if not items:
        raise ValueError(f"an empty list of channels routes nowhere: expected {EXPECTED}")
    seen: list[str] = []
    for item in items:
        raw = parse_target(item).raw
        if raw not in seen:
            seen.append(raw)
    return " ".join(seen)


def split_route(route: str) -> list[Target]:
    """The targets of a stored route (an alert_state ``channel``).

    A value that is not a route is one Slack channel, as before routes grew: the registry's
    ``slack_channel`` was never checked, and Slack accepts a bare channel name such as ``ml-alerts``."""
    try:
        return [parse_target(part) for part in route.split()]
    except ValueError:
        return [Target("slack", route)]


def transport_of(channel: str) -> str:
    """The transport of one outbox row's channel; a legacy or odd value is Slack (as before routes grew)."""
    try:
        return parse_target(channel).transport
    except ValueError:
        return "slack"
