"""A burst through the local stack, as a pipeline makes one: 1,000 versions registered into one use case
(ten model groups) and 500 of them approved, as fast as the registry takes them. The registry sync's
throughput is sampled every few seconds (events handled = events sent - events still queued) until
its queue drains; the goal is that its last full minute handles at least half what its first did (an
event's cost must not grow with the use case's history)."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3

from benchmarks.harness import report

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_S = 5
METADATA = {"UseCaseId": "uc-burst", "UseCaseName": "Burst", "UseCaseStage": "development", "ModelOwner": "alice",
            "ModelLoB": "payments", "ModelProject": "p", "ModelRisk": "low"}  # fmt: skip


@contextlib.contextmanager
def local_stack() -> Iterator[dict[str, Any]]:
    """`govsync local up` in a temporary folder, as a user starts it; `govsync local info --json`."""
    from govsync_local.server import free_port, stop_process

    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOTO_", "GOVSYNC_", "POWERTOOLS_"))}
    with tempfile.TemporaryDirectory() as workdir:
        port = free_port()
        proc = subprocess.Popen([sys.executable, "-m", "govsync_cli", "local", "up", "--port", str(port)],
                                cwd=workdir, env=clean, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                stdin=subprocess.DEVNULL, text=True)  # fmt: skip
        lines: list[str] = []
        threading.Thread(target=lambda: lines.extend(proc.stdout or []), daemon=True).start()
        try:
            deadline = time.monotonic() + 240
            while not any(line.startswith("AWS_ENDPOINT_URL=") for line in lines):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the local stack did not start")
                time.sleep(0.5)
            endpoint = f"http://127.0.0.1:{port}"
            shown = subprocess.run([sys.executable, "-m", "govsync_cli", "local", "info", "--json"],
                                   env={**clean, "AWS_ENDPOINT_URL": endpoint}, capture_output=True, text=True,
                                   check=True)  # fmt: skip
            yield json.loads(shown.stdout)
        finally:
            stop_process(proc)


def run(registrations: int = 1000, approvals: int = 500, groups: int = 10) -> list[str]:
    with local_stack() as info:
        kwargs = {"region_name": "us-east-1", "endpoint_url": info["endpoint_url"], "aws_access_key_id": "testing",
                  "aws_secret_access_key": "testing"}  # fmt: skip
        sagemaker, sqs = boto3.client("sagemaker", **kwargs), boto3.client("sqs", **kwargs)
        queue = info["queues"]["RegistrySyncFunction"]["queue_url"]
        dlq = info["queues"]["RegistrySyncFunction"]["dlq_url"]
        spec = {"Containers": [{"Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/xgb:1.7-1"}],
                "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]}  # fmt: skip
        names = [f"burst-{g:02d}" for g in range(groups)]
        for name in names:
            sagemaker.create_model_package_group(ModelPackageGroupName=name)
        sent = {"events": 0}

        def submit() -> None:
            per_group = registrations // groups
            approve_every = max(1, registrations // max(1, approvals))
            for name in names:
                arns = []
                for _ in range(per_group):
                    arns.append(sagemaker.create_model_package(
                        ModelPackageGroupName=name, InferenceSpecification=spec, CustomerMetadataProperties=METADATA,
                        ModelApprovalStatus="PendingManualApproval")["ModelPackageArn"])  # fmt: skip
                    sent["events"] += 1
                for arn in arns[::approve_every]:
                    sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
                    sent["events"] += 1

        def queued() -> int:
            attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=[
                "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]  # fmt: skip
            return sum(int(v) for v in attributes.values())

        submitter = threading.Thread(target=submit)
        started = time.monotonic()
        submitter.start()
        samples: list[tuple[float, int]] = []  # (seconds since start, events handled)
        while True:
            time.sleep(SAMPLE_S)
            handled = sent["events"] - queued()
            samples.append((time.monotonic() - started, handled))
            if not submitter.is_alive() and handled >= sent["events"]:
                break
            if time.monotonic() - started > 3600:
                break
        total = sent["events"]
        dead = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    drained = samples[-1][0]
    first = _per_minute(samples, 0.0)
    last = _per_minute(samples, max(0.0, drained - 60.0))
    ratio = last / first if first else 0.0
    return [
        f"burst through the local stack ({registrations} registrations and {approvals} approvals into one use case, "
        f"{groups} groups; {total} events)",
        report("last minute / first minute throughput (ratio)", ratio, ">= 0.5", ratio >= 0.5),
        report(
            "dead-lettered events",
            int(dead["ApproximateNumberOfMessages"]),
            "= 0",
            int(dead["ApproximateNumberOfMessages"]) == 0,
        ),
        f"    drained in {drained:.0f} s; events handled in the first minute {first:.0f}, in the last {last:.0f}",
    ]


def _per_minute(samples: list[tuple[float, int]], since: float) -> float:
    """Events handled in the minute from `since` (interpolated between samples)."""

    def handled_at(t: float) -> float:
        previous = (0.0, 0)
        for at, handled in samples:
            if at >= t:
                span = at - previous[0]
                return previous[1] + (handled - previous[1]) * ((t - previous[0]) / span if span else 1.0)
            previous = (at, handled)
        return float(samples[-1][1])

    return handled_at(since + 60.0) - handled_at(since)
