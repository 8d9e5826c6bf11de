"""SQS adapter: rejected messages go to the dead-letter queue at once, with their reason; requests go to
the queues that carry them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from botocore.exceptions import BotoCoreError, ClientError

from govsync.adapters import aws
from govsync.domain.errors import RetryableError

if TYPE_CHECKING:
    from types_boto3_sqs import SQSClient
    from types_boto3_sqs.type_defs import MessageAttributeValueTypeDef, SendMessageBatchRequestEntryTypeDef

REASON_ATTRIBUTE = "govsync-rejection-reason"
EVENT_ID_ATTRIBUTE = "govsync-event-id"
MESSAGE_ID_ATTRIBUTE = "govsync-source-message-id"
MAX_MESSAGE_BYTES = 1024 * 1024  # SQS: body and attributes together


class SqsDeadLetter:
    def __init__(self, queue_url: str | None, region: str, client: SQSClient | None = None) -> None:
        self._queue_url = queue_url
        self._region = region
        self._client = client

    def send(self, body: str, *, reason: str, event_id: str | None, message_id: str) -> None:
        if not self._queue_url:
            # Without a queue of our own, fail the record: SQS redrive moves it after maxReceiveCount.
            raise RetryableError(f"rejected ({reason}) and no dead-letter queue configured")
        attributes = dead_letter_attributes(body, reason=reason, event_id=event_id, message_id=message_id)
        try:
            (self._client or aws.client("sqs", self._region)).send_message(
                QueueUrl=self._queue_url,
                MessageBody=body,
                MessageAttributes=cast("Mapping[str, MessageAttributeValueTypeDef]", attributes),
            )
        except (ClientError, BotoCoreError) as exc:
            raise aws.translate(exc, "SendMessage", f"dead-letter queue {self._queue_url}") from exc


def _attribute(value: str) -> dict[str, str]:
    return {"DataType": "String", "StringValue": value}


def _size(name: str, attribute: dict[str, str]) -> int:
    """What SQS counts of a message attribute against the message size: name, type and value."""
    return len(name.encode()) + len(attribute["DataType"].encode()) + len(attribute["StringValue"].encode())


def _truncated(text: str, max_bytes: int) -> str:
    """`text` in at most `max_bytes` of UTF-8 (cut on a character boundary, marked with an ellipsis)."""
    if len(text.encode()) <= max_bytes:
        return text
    return text.encode()[: max(max_bytes - 3, 0)].decode(errors="ignore") + "…"


def dead_letter_attributes(
    body: str, *, reason: str, event_id: str | None, message_id: str, limit: int = MAX_MESSAGE_BYTES
) -> dict[str, dict[str, str]]:
    """The attributes a rejected message is dead-lettered with: its reason first, cut so body and
    attributes stay within SQS's message size (the body is never changed); the event and source
    message ids only where they still fit."""
    room = limit - len(body.encode())
    reason_room = room - len(REASON_ATTRIBUTE) - len("String")
    if reason_room < 1:  # a body at the very limit: nothing else fits (the log line keeps the reason)
        return {}
    attributes = {REASON_ATTRIBUTE: _attribute(_truncated(reason[:1000], reason_room))}
    room -= _size(REASON_ATTRIBUTE, attributes[REASON_ATTRIBUTE])
    for name, value in ((MESSAGE_ID_ATTRIBUTE, message_id or "unknown"), (EVENT_ID_ATTRIBUTE, event_id)):
        if value and _size(name, _attribute(value)) <= room:
            attributes[name] = _attribute(value)
            room -= _size(name, attributes[name])
    return attributes


class SqsQueue:
    """A queue we send to: JSON requests (the deploy requests queue), fanned-out work, a check for later."""

    def __init__(self, queue_url: str | None, region: str, client: SQSClient | None = None) -> None:
        self._queue_url = queue_url
        self._region = region
        self._client = client

    @property
    def configured(self) -> bool:
        return bool(self._queue_url)

    def send_json(self, body: dict[str, Any]) -> None:
        self._send(json.dumps(body, sort_keys=True), 0)

    def send_later(self, body: str, delay_seconds: int) -> None:
        """Send `body` to be delivered in `delay_seconds` (at most SQS's 900)."""
        self._send(body, min(delay_seconds, 900))

    def _send(self, body: str, delay_seconds: int) -> None:
        if not self._queue_url:
            raise RetryableError("no queue configured to send to")
        try:
            (self._client or aws.client("sqs", self._region)).send_message(
                QueueUrl=self._queue_url, MessageBody=body, DelaySeconds=delay_seconds
            )
        except (ClientError, BotoCoreError) as exc:
            raise aws.translate(exc, "SendMessage", self._queue_url) from exc

    def send_batch(self, bodies: list[str]) -> None:
        """Send each body as a message, ten a call (SendMessageBatch); any entry refused raises."""
        if not self._queue_url:
            raise RetryableError("no queue configured to send to")
        sqs = self._client or aws.client("sqs", self._region)
        for offset in range(0, len(bodies), 10):
            entries: list[SendMessageBatchRequestEntryTypeDef] = [
                {"Id": str(n), "MessageBody": body} for n, body in enumerate(bodies[offset : offset + 10])
            ]
            try:
                answer = sqs.send_message_batch(QueueUrl=self._queue_url, Entries=entries)
            except (ClientError, BotoCoreError) as exc:
                raise aws.translate(exc, "SendMessageBatch", self._queue_url) from exc
            if failed := answer.get("Failed"):
                reasons = "; ".join(f"{f.get('Code')}: {f.get('Message', '')}" for f in failed[:3])
                raise RetryableError(f"SendMessageBatch to {self._queue_url}: {len(failed)} refused ({reasons})")
