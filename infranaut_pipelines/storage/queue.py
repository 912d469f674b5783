"""The SQS queue that receives the landing bucket's event notifications (receive and delete, nothing else).

Delivery is at-least-once: a received message becomes visible again after ``visibility_timeout`` unless
it is deleted, so the sensor deletes a message only once the tick that used it has been committed (its
run requests made, its cursor stored), and a message seen twice is deduplicated by the run keys.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

_REGION_RE = re.compile(r"^https://sqs[.-]([a-z0-9-]+)\.amazonaws\.com")


@dataclass(frozen=True)
class QueueMessage:
    message_id: str
    receipt_handle: str
    body: str


class EventQueue:
    """One SQS queue by URL. ``client`` is a boto3 SQS client (``AWS_ENDPOINT_URL`` points it at moto)."""

    def __init__(self, url: str, client: Any) -> None:
        self.url = url
        self.client = client

    def receive(self, max_messages: int, visibility_timeout: int) -> list[QueueMessage]:
        """Up to ``max_messages`` messages, 10 a call, stopping at the first empty answer (no long polling:
        a sensor tick must not wait)."""
        got: list[QueueMessage] = []
        while len(got) < max_messages:
            answer = self.client.receive_message(
                QueueUrl=self.url,
                MaxNumberOfMessages=min(10, max_messages - len(got)),
                VisibilityTimeout=visibility_timeout,
                WaitTimeSeconds=0,
            )
            batch = answer.get("Messages", [])
            if not batch:
                break
            got += [QueueMessage(m["MessageId"], m["ReceiptHandle"], m.get("Body", "")) for m in batch]
        return got

    def delete(self, receipt_handles: Iterable[str]) -> list[str]:
        """Delete by receipt handle, 10 a call; returns the handles SQS refused (kept to retry next tick)."""
        handles = list(receipt_handles)
        failed: list[str] = []
        for i in range(0, len(handles), 10):
            chunk = handles[i : i + 10]
            answer = self.client.delete_message_batch(
                QueueUrl=self.url, Entries=[{"Id": str(n), "ReceiptHandle": h} for n, h in enumerate(chunk)]
            )
            # An expired handle is refused for good: the message came back and will be received again.
            failed += [chunk[int(f["Id"])] for f in answer.get("Failed", []) if f.get("SenderFault") is False]
        return failed


def region_of(url: str) -> str | None:
    """The region in an AWS queue URL (``https://sqs.eu-west-1.amazonaws.com/...``), else None."""
    match = _REGION_RE.match(url)
    return match.group(1) if match else None


def open_queue(url: str, client_factory: Callable[[str | None], Any] | None = None) -> EventQueue:
    """An :class:`EventQueue` for ``url``; the client's region follows the URL when it names one."""
    if client_factory is None:
        import boto3  # boto3 honours AWS_ENDPOINT_URL, so moto works without code changes

        def client_factory(region: str | None) -> Any:
            return boto3.client("sqs", region_name=region) if region else boto3.client("sqs")

    return EventQueue(url, client_factory(region_of(url)))
