"""CloudWatch Logs adapter: a copy of each anchor's summary in a log group of its own (kept as long as
the anchors), a second place that holds what was sealed and when."""

from __future__ import annotations

import json
import time
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from govsync.adapters.aws import client, error_code, translate
from govsync.domain.anchors import Anchor

STREAM = "anchors"


class AnchorLog:
    def __init__(self, log_group: str, region: str | None = None, logs: Any = None) -> None:
        self.log_group = log_group
        self._logs = logs or client("logs", region)

    def write(self, anchor: Anchor, location: str) -> None:
        message = json.dumps({**anchor.to_json(), "location": location}, separators=(",", ":"))
        event = {"timestamp": int(time.time() * 1000), "message": message}
        try:
            try:
                self._logs.put_log_events(logGroupName=self.log_group, logStreamName=STREAM, logEvents=[event])
            except ClientError as exc:
                if error_code(exc) != "ResourceNotFoundException":
                    raise
                self._logs.create_log_stream(logGroupName=self.log_group, logStreamName=STREAM)
                self._logs.put_log_events(logGroupName=self.log_group, logStreamName=STREAM, logEvents=[event])
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, "PutLogEvents", self.log_group) from exc
