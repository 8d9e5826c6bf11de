"""Run a function's handler in-process, as Lambda would: its code directory, its handler, a context."""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import logging
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from govsync_local.template import FunctionSpec


class LocalContext:
    """The parts of Lambda's context object that handlers and Powertools read."""

    def __init__(self, spec: FunctionSpec, account_id: str = "111111111111", region: str = "us-east-1") -> None:
        self.function_name = spec.logical_id
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = 512
        self.invoked_function_arn = f"arn:aws:lambda:{region}:{account_id}:function:{spec.logical_id}"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{spec.logical_id}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + spec.timeout

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Send everything written to file descriptor 1 to 2 (loggers keep their own stdout reference)."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def load_handler(spec: FunctionSpec) -> Callable[[dict[str, Any], Any], Any]:
    """Import the handler module from the function's CodeUri (once per process, like a warm Lambda)."""
    module_name, _, attribute = spec.handler.rpartition(".")
    module_file = spec.code_dir / (module_name.replace(".", "/") + ".py")
    if not module_file.is_file():
        raise FileNotFoundError(f"{spec.logical_id}: handler module {module_file} not found")
    key = f"govsync_fn_{spec.logical_id}"
    module = sys.modules.get(key)
    if module is None:
        module_spec = importlib.util.spec_from_file_location(key, module_file)
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[key] = module
        module_spec.loader.exec_module(module)
    return getattr(module, attribute)


def sqs_event(body: Any, *, queue_arn: str | None, region: str) -> dict[str, Any]:
    """The event Lambda's SQS event source hands a function for one message carrying `body`."""
    text = body if isinstance(body, str) else json.dumps(body)
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": "local",
                "body": text,
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": str(int(time.time() * 1000)),
                    "SenderId": "local",
                    "ApproximateFirstReceiveTimestamp": str(int(time.time() * 1000)),
                },
                "messageAttributes": {},
                "md5OfBody": hashlib.md5(text.encode(), usedforsecurity=False).hexdigest(),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn or f"arn:aws:sqs:{region}:111111111111:local",
                "awsRegion": region,
            }
        ]
    }


class _Rejections(logging.Handler):
    """Hears the functions' own "... rejected" and "configuration error" log lines, with their reason."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.endswith(" rejected") or message.startswith("configuration error"):
            reason = getattr(record, "reason", None) or getattr(record, "error", None) or ""
            self.seen.append(f"{message}: {reason}" if reason else message)


@contextlib.contextmanager
def outcomes() -> Iterator[list[str]]:
    """The rejections the functions log while the block runs."""
    handler = _Rejections()
    logger = logging.getLogger("govsync")
    logger.addHandler(handler)
    try:
        yield handler.seen
    finally:
        logger.removeHandler(handler)


def failures(response: Any, rejections: list[str]) -> list[str]:
    """What went wrong in one invocation: an unhandled error, records the batch reports as failed
    (retried by SQS), records rejected (dead-lettered), or a scheduled job's failed items."""
    found = list(rejections)
    if isinstance(response, dict):
        if "errorMessage" in response:
            found.append(f"{response.get('errorType')}: {response['errorMessage']}")
        failed = response.get("batchItemFailures") or []
        if failed:
            found.append(f"{len(failed)} record(s) failed and would be retried by SQS (see the log above)")
        if isinstance(response.get("failed"), int) and response["failed"]:
            found.append(f"{response['failed']} item(s) failed")
    return found
