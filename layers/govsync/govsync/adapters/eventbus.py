"""EventBridge: a "Model Deployment Requested" event for teams that deploy with their own pipelines."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from govsync.adapters import aws
from govsync.domain.errors import RetryableError
from govsync.domain.promotion import DEPLOYMENT_REQUESTED, EVENT_SOURCE, Target


class EventBusDeployments:
    strategy = "event"

    def __init__(self, region: str, client: Any | None = None) -> None:
        self._region = region
        self._client = client

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
        entry = {
            "Source": EVENT_SOURCE,
            "DetailType": DEPLOYMENT_REQUESTED,
            "Detail": json.dumps(detail),
            "Resources": [spec["package_arn"]],
            "EventBusName": target.event_bus_arn,
        }
        region = target.event_bus_arn.split(":")[3] or self._region
        try:
            answer = (self._client or aws.client("events", region)).put_events(Entries=[entry])
        except (ClientError, BotoCoreError) as exc:
            raise aws.translate(exc, f"PutEvents {target.event_bus_arn}") from exc
        result = answer["Entries"][0]
        if answer.get("FailedEntryCount") or "EventId" not in result:
            raise RetryableError(
                f"PutEvents {target.event_bus_arn}: {result.get('ErrorCode')} {result.get('ErrorMessage')}"
            )
        return {"event_bus_arn": target.event_bus_arn, "event_id": result["EventId"]}
