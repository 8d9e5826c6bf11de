"""Puts the events SageMaker would put on the default bus when model packages change.

Runs inside the moto server's process (hooked through `motoext`), so a change is on the bus before
the API call that made it returns. Delivery is at-least-once, like AWS: with `duplicate=True` every
event is put twice.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

MODEL_PACKAGE_STATE_CHANGE = "SageMaker Model Package State Change"
ENDPOINT_STATE_CHANGE = "SageMaker Endpoint State Change"


def _epoch_millis(value: Any) -> Any:
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    return str(value)


class SageMakerEventEmitter:
    def __init__(self, duplicate: bool = False) -> None:
        self.duplicate = duplicate
        self.emitted = 0

    def model_package_changed(self, package: Any, account_id: str, region: str) -> None:
        detail = package.gen_response_object()
        if package.model_package_group_name:
            detail["ModelPackageName"] = f"{package.model_package_group_name}/{package.model_package_version}"
        entry = {
            "Source": "aws.sagemaker",
            "DetailType": MODEL_PACKAGE_STATE_CHANGE,
            "Detail": json.dumps(detail, default=_epoch_millis),
            "Resources": [package.arn],
        }
        self._put(entry, account_id, region)

    def endpoint_changed(self, endpoint: dict[str, Any], status: str, account_id: str, region: str) -> None:
        entry = {
            "Source": "aws.sagemaker",
            "DetailType": ENDPOINT_STATE_CHANGE,
            "Detail": json.dumps(endpoint_detail(endpoint, status), default=_epoch_millis),
            "Resources": [str(endpoint.get("EndpointArn"))],
        }
        self._put(entry, account_id, region)

    def _put(self, entry: dict[str, Any], account_id: str, region: str) -> None:
        from moto.events.models import events_backends

        backend = events_backends[account_id][region]
        for _ in range(2 if self.duplicate else 1):
            backend.put_events([entry])
            self.emitted += 1


def delivered_event(
    detail_type: str, detail: dict[str, Any], *, account: str, region: str, resources: list[str]
) -> dict[str, Any]:
    """An event as EventBridge delivers it to a target: the envelope around `detail`."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": "aws.sagemaker",
        "account": account,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": resources,
        "detail": detail,
    }


def endpoint_detail(endpoint: dict[str, Any], status: str) -> dict[str, Any]:
    """The detail of "SageMaker Endpoint State Change" for a described endpoint (with its tags)."""
    detail = {
        "EndpointName": endpoint.get("EndpointName"),
        "EndpointArn": endpoint.get("EndpointArn"),
        "EndpointConfigName": endpoint.get("EndpointConfigName"),
        "ProductionVariants": endpoint.get("ProductionVariants", []),
        "EndpointStatus": status,
        "CreationTime": endpoint.get("CreationTime"),
        "LastModifiedTime": endpoint.get("LastModifiedTime"),
        "Tags": endpoint.get("Tags", {}),
    }
    if status == "FAILED" and endpoint.get("FailureReason"):
        detail["FailureReason"] = endpoint["FailureReason"]
    return json.loads(json.dumps(detail, default=_epoch_millis))
