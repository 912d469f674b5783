"""Notification transports (pure: no dagster import). Slack: incoming webhook or Web API."""

from infranaut_pipelines.notify.slack import DeliveryError, SendResult, SlackSender

__all__ = ["DeliveryError", "SendResult", "SlackSender"]
