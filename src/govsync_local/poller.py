"""Lambda's SQS event-source mapping, played locally: one worker process per function (its own
environment, its handler imported once, like a warm Lambda), batches from the queue, partial batch
responses honoured. Redrive to the dead-letter queue is the queue's own (moto honours maxReceiveCount).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import threading
import traceback
from pathlib import Path
from typing import Any

from govsync_local.invoke import LocalContext, load_handler
from govsync_local.template import FunctionSpec

# Lambda waits for the visibility timeout before a failed message comes back; locally a short delay
# keeps retries visible without waiting minutes.
RETRY_DELAY_SECONDS = 2
LOG_DIR = Path(".govsync") / "logs"


def _worker(spec: FunctionSpec, env: dict[str, str], log_file: str, conn: Any) -> None:
    """The function's process: environment first, then the handler, then one batch at a time."""
    os.environ.update(env)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the local stack stops us by closing the pipe
    with open(log_file, "a", buffering=1) as log:
        os.dup2(log.fileno(), sys.stdout.fileno())
        os.dup2(log.fileno(), sys.stderr.fileno())
        handler = load_handler(spec)
        while True:
            try:
                event = conn.recv()
            except EOFError:
                return
            if event is None:
                return
            try:
                conn.send(("ok", handler(event, LocalContext(spec, region=env.get("AWS_REGION", "us-east-1")))))
            except Exception as exc:
                traceback.print_exc()
                conn.send(("error", f"{type(exc).__name__}: {exc}"))


class FunctionWorker:
    """The function's process. One that died (killed, crashed) or timed out is replaced by a new one,
    as Lambda replaces an execution environment: the batch it held fails and is retried."""

    def __init__(self, spec: FunctionSpec, env: dict[str, str], log: Any = print) -> None:
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        self.log_file = str((LOG_DIR / f"{spec.logical_id}.log").resolve())
        self.spec, self.env, self.log = spec, env, log
        self._timeout = spec.timeout
        self.restarts = 0
        self._start()

    def _start(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._process = ctx.Process(target=_worker, args=(self.spec, self.env, self.log_file, child), daemon=True)
        self._process.start()

    def _restart(self, why: str) -> None:
        self.restarts += 1
        self.log(f"{self.spec.logical_id}: worker {why}; starting a new one")
        with contextlib.suppress(Exception):
            self._process.kill()
            self._process.join(timeout=5)
        self._start()

    def invoke(self, event: dict[str, Any]) -> tuple[str, Any]:
        if not self._process.is_alive():
            self._restart(f"exited (code {self._process.exitcode})")
        try:
            self._conn.send(event)
            if not self._conn.poll(self._timeout + 60):  # first call includes the import (cold start)
                self._restart("timed out")
                return ("error", "timed out")
            return self._conn.recv()
        except (OSError, EOFError) as exc:  # the process died while it held the batch
            self._restart(f"died ({type(exc).__name__})")
            return ("error", f"worker process died ({type(exc).__name__}); the batch is retried")

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self._conn.send(None)
        self._process.join(timeout=5)
        if self._process.is_alive():
            self._process.terminate()


class QueuePoller(threading.Thread):
    def __init__(
        self,
        spec: FunctionSpec,
        queue_url: str,
        queue_arn: str,
        env: dict[str, str],
        sqs: Any,
        log: Any,
        retry_delay: int = RETRY_DELAY_SECONDS,
    ) -> None:
        super().__init__(name=f"poller-{spec.logical_id}", daemon=True)
        self.spec, self.queue_url, self.queue_arn, self.env, self.sqs, self.log = (
            spec,
            queue_url,
            queue_arn,
            env,
            sqs,
            log,
        )
        self.retry_delay = retry_delay
        self._stop = threading.Event()
        self.worker = FunctionWorker(spec, env, log)
        self.invocations = 0

    def stop(self) -> None:
        self._stop.set()
        self.join(timeout=5)
        self.worker.stop()

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception as exc:  # the local server going away on shutdown, mostly
                if not self._stop.is_set():
                    self.log(f"{self.spec.logical_id}: poll failed: {exc}")
                    self._stop.wait(1)

    def poll_once(self) -> None:
        messages = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=min(10, self.spec.batch_size),
            WaitTimeSeconds=1,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return
        event = {"Records": [self._record(m) for m in messages]}
        status, result = self.worker.invoke(event)
        self.invocations += 1
        if status == "ok" and self.spec.report_batch_item_failures and isinstance(result, dict):
            failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        elif status == "ok":
            failed = set()
        else:
            failed = {m["MessageId"] for m in messages}
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done[start : start + 10])
                ],
            )
        for message in messages:
            if message["MessageId"] in failed:
                self.sqs.change_message_visibility(
                    QueueUrl=self.queue_url,
                    ReceiptHandle=message["ReceiptHandle"],
                    VisibilityTimeout=self.retry_delay,
                )
        outcome = f"{len(done)} ok, {len(failed)} to retry" + (f" ({result})" if status == "error" else "")
        self.log(f"{self.spec.logical_id}: batch of {len(messages)}: {outcome}")

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        attributes = {
            name: {
                "stringValue": value.get("StringValue"),
                "binaryValue": value.get("BinaryValue"),
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": value["DataType"],
            }
            for name, value in message.get("MessageAttributes", {}).items()
        }
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": attributes,
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": self.queue_arn.split(":")[3],
        }
