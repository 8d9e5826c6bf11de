"""EventBridge: govsync's own events (deployment requests of the `event` strategy, monitoring alerts)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from govsync.adapters import aws
from govsync.domain.arns import Arn
from govsync.domain.errors import RetryableError
from govsync.domain.events import EVENT_SOURCE

if TYPE_CHECKING:
    from types_boto3_events import EventBridgeClient
    from types_boto3_events.type_defs import PutEventsRequestEntryTypeDef


class EventPublisher:
    """PutEvents of one govsync event; a failed entry is retryable."""

    def __init__(self, region: str, client: EventBridgeClient | None = None) -> None:
        self._region = region
        self._client = client

    def publish(self, bus: str, detail_type: str, detail: dict[str, Any], resources: list[str]) -> str:
        entry: PutEventsRequestEntryTypeDef = {
            "Source": EVENT_SOURCE,
            "DetailType": detail_type,
            "Detail": json.dumps(detail, default=str),
            "Resources": resources,
            "EventBusName": bus,
        }
        region = (Arn.parse(bus).region if bus.startswith("arn:") else "") or self._region
        try:
            answer = (self._client or aws.client("events", region)).put_events(Entries=[entry])
        except (ClientError, BotoCoreError) as exc:
            raise aws.translate(exc, "PutEvents", bus) from exc
        result = answer["Entries"][0]
        if answer.get("FailedEntryCount") or "EventId" not in result:
            raise RetryableError(f"PutEvents {bus}: {result.get('ErrorCode')} {result.get('ErrorMessage')}")
        return str(result["EventId"])
