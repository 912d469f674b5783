"""Alerting and its channels as one resource: the rules, the alert store and the senders (Slack, PagerDuty,
email, webhook), configured from the env.

Slack is optional: with neither ``SLACK_BOT_TOKEN`` nor ``SLACK_WEBHOOK_URL`` set, alerts are still
evaluated and kept in the outbox (so nothing is lost), and delivery is reported as "not configured".
The bot token goes through dagster-slack's ``SlackResource``; secrets arrive as ``dg.EnvVar``.
PagerDuty, email and webhook are configured by the settings in ``settings.py`` (``# --- alert channels ---``);
a route to one of them without its settings fails at definitions load instead.
"""


import datetime as dt
from typing import Any

import dagster as dg
from dagster_slack import SlackResource
from pydantic import PrivateAttr

from infranaut_pipelines import settings as infranaut_settings
from infranaut_pipelines.alerting import (
    AlertStore,
    DeliverySummary,
    EvaluationSummary,
    RuleSet,
    Signals,
    deliver_pending,
    evaluate_and_record,
    freshness_findings,
    load_rules,
    record_evaluation,
)
from infranaut_pipelines.alerting.channels import build_senders, channel_problems
from infranaut_pipelines.alerting.runs import run_findings
from infranaut_pipelines.notify import SlackSender
from infranaut_pipelines.notify.slack import validate_token, validate_webhook_url
from infranaut_pipelines.registry import Registry, load_registry
from infranaut_pipelines.registry.loader import registry_path
from infranaut_pipelines.warehouse import Warehouse


class NotifierResource(dg.ConfigurableResource):
    rules_path: str = ""
    slack_bot_token: str | None = None
    slack_webhook_url: str | None = None
    slack_api_base_url: str | None = None
    # Secrets of the other channels (dg.EnvVar: resolved at run time, never shown in the UI).
    pagerduty_routing_key: str | None = None
    smtp_password: str | None = None
    alert_webhook_url: str | None = None
    alert_webhook_secret: str | None = None
    _sender: SlackSender | None = PrivateAttr(default=None)
    _senders: dict[str, Any] | None = PrivateAttr(default=None)
    _malformed: list[str] = PrivateAttr(default_factory=list)

    @classmethod
    def from_env(cls) -> "NotifierResource":
        settings = infranaut_settings.current()

        def env(name: str) -> Any:
            return dg.EnvVar(name) if settings.is_set(name) else None

        return cls(
            rules_path=env("INFRANAUT_ALERT_RULES") or "",
            slack_bot_token=env("SLACK_BOT_TOKEN"),
            slack_webhook_url=env("SLACK_WEBHOOK_URL"),
            slack_api_base_url=env("SLACK_API_BASE_URL"),
            **cls._channel_secrets(settings),
        )

    @staticmethod
    def _channel_secrets(settings: infranaut_settings.Settings) -> dict[str, Any]:
        names = {"pagerduty_routing_key": "INFRANAUT_PAGERDUTY_ROUTING_KEY", "smtp_password": "INFRANAUT_SMTP_PASSWORD",
                 "alert_webhook_url": "INFRANAUT_ALERT_WEBHOOK_URL",
                 "alert_webhook_secret": "INFRANAUT_ALERT_WEBHOOK_SECRET"}
        return {field: dg.EnvVar(name) for field, name in names.items() if settings.is_set(name)}

    @staticmethod
    def validate_env() -> None:
        """Fail at definitions load (not at 2 a.m.) on a malformed webhook URL or an empty token."""
        settings = infranaut_settings.current()
        for name, validate in (("SLACK_WEBHOOK_URL", validate_webhook_url), ("SLACK_BOT_TOKEN", validate_token)):
            if settings.is_set(name):
                validate(dg.EnvVar(name).get_value() or "")
        problems = channel_problems(load_rules(None, load_registry(), registry_source=str(registry_path())),
                                    settings)
        if problems:
            raise ValueError("alert routes name channels that are not configured:\n  " + "\n  ".join(problems))
        # Malformed values fail now too; the secrets are read through dg.EnvVar, and never echoed.
        secrets = {field: var.get_value() for field, var in NotifierResource._channel_secrets(settings).items()}
        _, malformed = build_senders(settings, pagerduty_routing_key=secrets.get("pagerduty_routing_key"),
                                     smtp_password=secrets.get("smtp_password"),
                                     webhook_url=secrets.get("alert_webhook_url"),
                                     webhook_secret=secrets.get("alert_webhook_secret"))
        if malformed:
            raise ValueError("alert channel settings are malformed:\n  " + "\n  ".join(malformed))

    @property
    def slack_configured(self) -> bool:
        return bool(self.slack_bot_token or self.slack_webhook_url)

    def sender(self) -> SlackSender | None:
        if self._sender is None and self.slack_configured:
            if self.slack_bot_token:
                client = SlackResource(token=self.slack_bot_token).get_client()
                self._sender = SlackSender(client=client, base_url=self.slack_api_base_url or None)
            else:
                self._sender = SlackSender(webhook_url=self.slack_webhook_url)
        return self._sender

    def senders(self) -> dict[str, Any]:
        """Every configured channel's sender by transport (``slack``, ``pagerduty``, ``email``, ``webhook``)."""
        if self._senders is None:
            senders, malformed = build_senders(
                infranaut_settings.current(), pagerduty_routing_key=self.pagerduty_routing_key,
                smtp_password=self.smtp_password, webhook_url=self.alert_webhook_url,
                webhook_secret=self.alert_webhook_secret)
            self._malformed = malformed  # logged by _deliver; those channels' rows wait in the outbox
            slack = self.sender()
            self._senders = ({"slack": slack} if slack is not None else {}) | senders
        return self._senders

    def rules(self, registry: Registry) -> RuleSet:
        # In a run, ``rules_path`` holds the resolved path; at definitions load it may still be an
        # unresolved ``dg.EnvVar``, and then the loader reads the same variable itself.
        path = self.rules_path if isinstance(self.rules_path, str) else None
        return load_rules(path or None, registry, registry_source=str(registry_path()))

    def record_and_deliver(
        self, warehouse: Warehouse, registry: Registry, signals: Signals, log: Any, *, historic: bool = False
    ) -> tuple[EvaluationSummary, DeliverySummary | None]:
        """Record findings (state + outbox in one transaction), then try to deliver everything pending.

        Delivery failures never fail the step: undelivered messages stay in the outbox and go out on the
        next run, which is what makes a Slack outage lose nothing.
        """
        store = AlertStore(warehouse)
        summary = evaluate_and_record(store, self.rules(registry), signals, historic=historic)
        return summary, self._deliver(store, log)

    def record_freshness(
        self, warehouse: Warehouse, registry: Registry, last_drop_at: dict[str, dt.datetime | None],
        now: dt.datetime, log: Any, models: list[str] | None = None,
    ) -> tuple[list[EvaluationSummary], DeliverySummary | None]:
        """Freshness is evaluated by a sensor, not per partition: a model that stops sending has no partition.

        ``models``: which models to judge (default: every registered one)."""
        store, rules = AlertStore(warehouse), self.rules(registry)
        judged = registry.model_ids if models is None else models
        summaries = [
            record_evaluation(store, rules, model_id, now.date(), evaluation, now, source="sensor")
            for model_id, evaluation in freshness_findings(last_drop_at, now, rules, models=judged).items()
        ]
        return summaries, self._deliver(store, log)

    def record_run(
        self, warehouse: Warehouse, registry: Registry, model_id: str, job: str, day: dt.date | None,
        failed: bool, error: str, now: dt.datetime, log: Any, run_url: str | None = None,
    ) -> tuple[EvaluationSummary, DeliverySummary | None]:
        """A run's outcome through the ``run_failed`` rules: a failure fires (every route of the model, like any
        alert), the next success of the same job for the same day resolves it."""
        store, rules = AlertStore(warehouse), self.rules(registry)
        evaluation = run_findings(rules, model_id, job, day, failed, error)
        if not failed and not any(s["status"] in ("open", "suppressed") and s["subject"] in (evaluation.subjects or ())
                                  and s["rule"] in evaluation.evaluated_rules for s in store.states(model_id)):
            # Nothing to resolve: a success writes nothing (most runs succeed; the warehouse has one writer).
            return EvaluationSummary(model_id, day or now.date()), None
        signals = Signals(model_id=model_id, partition_date=day or now.date(), now=now, run_url=run_url)
        summary = record_evaluation(store, rules, model_id, day or now.date(), evaluation, now, signals=signals,
                                    source="run")
        return summary, self._deliver(store, log)

    def _deliver(self, store: AlertStore, log: Any) -> DeliverySummary | None:
        senders = self.senders()
        for problem in self._malformed:  # names the variable, never the value
            log.error(f"alert channel misconfigured, its messages stay in the outbox: {problem}")
        if not senders:
            log.info("no alert channel is configured (SLACK_BOT_TOKEN / SLACK_WEBHOOK_URL, ...): alerts stay in "
                     "the outbox")
            return None
        delivery = deliver_pending(store, senders)
        if delivery.not_configured:
            log.info(f"waiting in the outbox for a channel that is not configured: {delivery.not_configured}")
        if delivery.pending:
            log.warning(f"{delivery.pending} alert message(s) still pending: {delivery.stopped_reason or ''}")
        return delivery
