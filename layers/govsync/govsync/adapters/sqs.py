"""SQS adapter: rejected messages go to the dead-letter queue at once, with their reason; requests go to
the queues that carry them."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from govsync.adapters import aws
from govsync.domain.errors import RetryableError

REASON_ATTRIBUTE = "govsync-rejection-reason"
EVENT_ID_ATTRIBUTE = "govsync-event-id"
MESSAGE_ID_ATTRIBUTE = "govsync-source-message-id"


class SqsDeadLetter:
    def __init__(self, queue_url: str | None, region: str, client: Any | None = None) -> None:
        self._queue_url = queue_url
        self._region = region
        self._client = client

    def send(self, body: str, *, reason: str, event_id: str | None, message_id: str) -> None:
        if not self._queue_url:
            # Without a queue of our own, fail the record: SQS redrive moves it after maxReceiveCount.
            raise RetryableError(f"rejected ({reason}) and no dead-letter queue configured")
        attributes = {
            REASON_ATTRIBUTE: {"DataType": "String", "StringValue": reason[:1000]},
            MESSAGE_ID_ATTRIBUTE: {"DataType": "String", "StringValue": message_id or "unknown"},
        }
        if event_id:
            attributes[EVENT_ID_ATTRIBUTE] = {"DataType": "String", "StringValue": event_id}
        try:
            (self._client or aws.client("sqs", self._region)).send_message(
                QueueUrl=self._queue_url, MessageBody=body, MessageAttributes=attributes
            )
        except (ClientError, BotoCoreError) as exc:
            raise aws.translate(exc, "SendMessage", f"dead-letter queue {self._queue_url}") from exc


class SqsQueue:
    """A queue we send JSON requests to (the deploy requests queue)."""

    def __init__(self, queue_url: str | None, region: str, client: Any | None = None) -> None:
        self._queue_url = queue_url
        self._region = region
        self._client = client

    @property
    def configured(self) -> bool:
        return bool(self._queue_url)

    def send_json(self, body: dict[str, Any]) -> None:
        if not self._queue_url:
            raise RetryableError("no queue configured to send to")
        try:
            (self._client or aws.client("sqs", self._region)).send_message(
                QueueUrl=self._queue_url, MessageBody=json.dumps(body, sort_keys=True)
            )
        except (ClientError, BotoCoreError) as exc:
            raise aws.translate(exc, "SendMessage", self._queue_url) from exc
