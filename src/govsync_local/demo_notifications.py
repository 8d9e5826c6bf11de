"""The demo's notifications: what reached the notifications topic (its local subscriber queue), as the
officers' mail or chat would show it."""

from __future__ import annotations

import json
import time
from typing import Any

from govsync_local.accounts import client
from govsync_local.demo_data import DemoError, say
from govsync_local.notifications import line, queue_url

WAIT_SECONDS = 30


def told(endpoint: str, kind: str, stage: str, version: int) -> dict[str, Any]:
    """Wait for the notification of `kind` on `stage` of `version` (others read on the way are shown too)."""
    url = queue_url(endpoint)
    if url is None:
        raise DemoError("the local stack has no notifications queue")
    sqs = client("sqs", endpoint)
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            body = json.loads(message["Body"])
            say(f"   {line(body)}")
            if (body.get("type"), body.get("stage"), body.get("model_version")) == (kind, stage, version):
                return dict(body)
    raise DemoError(f"no {kind} notification for {stage} of version {version} within {WAIT_SECONDS} s")


def skip_told(endpoint: str) -> int:
    """Take what waits on the notifications queue without showing it; how many there were."""
    url = queue_url(endpoint)
    if url is None:
        return 0
    sqs, taken = client("sqs", endpoint), 0
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            taken += 1
    return taken
