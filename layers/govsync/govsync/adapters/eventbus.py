"""EventBridge: govsync's own events ("Model Deployment Requested" for teams that deploy with their own
pipelines, monitoring alerts)."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from govsync.adapters import aws
from govsync.domain.errors import RetryableError
from govsync.domain.promotion import DEPLOYMENT_REQUESTED, EVENT_SOURCE, Target


class EventPublisher:
    """PutEvents of one govsync event; a failed entry is retryable."""

    def __init__(self, region: str, client: Any | None = None) -> None:
        self._region = region
        self._client = client

    def publish(self, bus: str, detail_type: str, detail: dict[str, Any], resources: list[str]) -> str:
        entry = {
            "Source": EVENT_SOURCE,
            "DetailType": detail_type,
            "Detail": json.dumps(detail, default=str),
            "Resources": resources,
            "EventBusName": bus,
        }
        region = (bus.split(":")[3] if bus.startswith("arn:") else "") or self._region
        try:
            answer = (self._client or aws.client("events", region)).put_events(Entries=[entry])
        except (ClientError, BotoCoreError) as exc:
            raise aws.translate(exc, "PutEvents", bus) from exc
        result = answer["Entries"][0]
        if answer.get("FailedEntryCount") or "EventId" not in result:
            raise RetryableError(f"PutEvents {bus}: {result.get('ErrorCode')} {result.get('ErrorMessage')}")
        return result["EventId"]


class EventBusDeployments:
    strategy = "event"

    def __init__(self, region: str, client: Any | None = None) -> None:
        self._publisher = EventPublisher(region, client)

    def kick(self, target: Target, spec: dict[str, Any]) -> dict[str, Any]:
        detail = {
            "ModelPackageArn": spec["package_arn"],
            "ModelPackageGroupName": spec["group"],
            "ModelPackageVersion": spec["version"],
            "Stage": spec["stage"],
            "Account": target.account,
            "Region": target.region,
            "Tags": {t["Key"]: t["Value"] for t in spec["tags"]},
            "Artifacts": spec.get("artifacts", []),
        }
        event_id = self._publisher.publish(target.event_bus_arn, DEPLOYMENT_REQUESTED, detail, [spec["package_arn"]])
        return {"event_bus_arn": target.event_bus_arn, "event_id": event_id}
