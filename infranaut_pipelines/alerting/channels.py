"""Which alert channels the settings make deliverable, and the senders for them.

A route to a channel whose settings are missing is a configuration error caught at definitions load and
by ``infranaut check`` (an alert routed to PagerDuty without a routing key would otherwise wait in the
outbox unseen). Slack is the exception: with Slack unset, messages wait in the outbox by design.
Secrets are passed in (resolved by the Dagster resource from environment variables), never read here.
"""

from __future__ import annotations

from collections.abc import Callable

from infranaut_pipelines.alerting.rules import RuleSet, route_problems
from infranaut_pipelines.notify.email import EmailSender
from infranaut_pipelines.notify.pagerduty import PagerDutySender
from infranaut_pipelines.notify.targets import Target
from infranaut_pipelines.notify.webhook import WebhookSender
from infranaut_pipelines.settings import Settings


def missing_for(settings: Settings) -> Callable[[Target], str | None]:
    """``target -> what is not set`` (None when the target can be delivered)."""

    def missing(target: Target) -> str | None:
        if target.transport == "pagerduty" and not settings.is_set("INFRANAUT_PAGERDUTY_ROUTING_KEY"):
            return "INFRANAUT_PAGERDUTY_ROUTING_KEY is not set"
        if target.transport == "email":
            unset = [n for n in ("INFRANAUT_SMTP_HOST", "INFRANAUT_ALERT_EMAIL_FROM") if not settings.is_set(n)]
            if not target.addresses and not settings.alert_email_to:
                unset.append("INFRANAUT_ALERT_EMAIL_TO (or route to email:<address>)")
            if unset:
                return ", ".join(unset) + (" is" if len(unset) == 1 else " are") + " not set"
        if target.transport == "webhook" and not settings.is_set("INFRANAUT_ALERT_WEBHOOK_URL"):
            return "INFRANAUT_ALERT_WEBHOOK_URL is not set"
        return None

    return missing


def channel_problems(rules: RuleSet, settings: Settings) -> list[str]:
    """Every route that names a channel these settings cannot deliver (file, model and route named)."""
    return route_problems(rules, missing_for(settings))


def build_senders(settings: Settings, *, pagerduty_routing_key: str | None = None, smtp_password: str | None = None,
                  webhook_url: str | None = None, webhook_secret: str | None = None,
                  ) -> tuple[dict[str, object], list[str]]:
    """(senders for the configured non-Slack channels, problems). Each channel is built on its own: a
    malformed webhook URL must not stop PagerDuty or mail. Problems name the variable, never its value."""
    senders: dict[str, object] = {}
    problems: list[str] = []

    def build(transport: str, make: Callable[[], object]) -> None:
        try:
            senders[transport] = make()
        except ValueError as exc:
            problems.append(f"{transport}: {exc}")

    if pagerduty_routing_key:
        build("pagerduty", lambda: PagerDutySender(pagerduty_routing_key, settings.pagerduty_events_url))
    if settings.smtp_host and settings.alert_email_from:
        build("email", lambda: EmailSender(settings.smtp_host, settings.smtp_port, settings.alert_email_from,
                                           settings.alert_email_to, user=settings.smtp_user or None,
                                           password=smtp_password, ca_file=settings.smtp_ca_file or None))
    if webhook_url:
        build("webhook", lambda: WebhookSender(webhook_url, webhook_secret))
    return senders, problems
