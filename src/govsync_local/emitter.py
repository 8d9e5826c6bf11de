"""Puts the events SageMaker would put on the default bus when model packages change.

Runs inside the moto server's process (hooked through `motoext`), so a change is on the bus before
the API call that made it returns. Delivery is at-least-once, like AWS: with `duplicate=True` every
event is put twice.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

MODEL_PACKAGE_STATE_CHANGE = "SageMaker Model Package State Change"


def _epoch_millis(value: Any) -> Any:
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    return str(value)


class SageMakerEventEmitter:
    def __init__(self, duplicate: bool = False) -> None:
        self.duplicate = duplicate
        self.emitted = 0

    def model_package_changed(self, package: Any, account_id: str, region: str) -> None:
        from moto.events.models import events_backends

        detail = package.gen_response_object()
        if package.model_package_group_name:
            detail["ModelPackageName"] = f"{package.model_package_group_name}/{package.model_package_version}"
        entry = {
            "Source": "aws.sagemaker",
            "DetailType": MODEL_PACKAGE_STATE_CHANGE,
            "Detail": json.dumps(detail, default=_epoch_millis),
            "Resources": [package.arn],
        }
        backend = events_backends[account_id][region]
        for _ in range(2 if self.duplicate else 1):
            backend.put_events([entry])
            self.emitted += 1
