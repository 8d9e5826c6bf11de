"""The local stack in a child process, driven as a user drives it: boto3 and the govsync CLI."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest

from govsync_local.server import free_port, stop_process

ROOT = Path(__file__).resolve().parents[2]
CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOTO_", "GOVSYNC_"))}


@dataclass
class Local:
    endpoint: str
    workdir: Path
    info: dict

    def client(self, service: str):
        return boto3.client(
            service,
            region_name="us-east-1",
            endpoint_url=self.endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def registrant(self):
        """A SageMaker client of the data scientist who registers versions (a role of the central
        account): never the identity that approves them (`client`), so separation of duties holds."""
        creds = self.client("sts").assume_role(RoleArn="arn:aws:iam::111111111111:role/DataScientist",
                                               RoleSessionName="alice")["Credentials"]  # fmt: skip
        return boto3.client("sagemaker", region_name="us-east-1", endpoint_url=self.endpoint,
                            aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                            aws_session_token=creds["SessionToken"])  # fmt: skip

    def govsync(
        self,
        *args: str,
        env: dict[str, str] | None = None,
        stdin: str | None = None,
        python: tuple[str, ...] = ("-m", "govsync_cli"),
    ) -> subprocess.CompletedProcess[str]:
        """The CLI in a user's shell: no AWS variables but the endpoint (and what `env` adds)."""
        return subprocess.run(
            [sys.executable, *python, *args],
            env={**CLEAN_ENV, "AWS_ENDPOINT_URL": self.endpoint, **(env or {})}, cwd=ROOT, capture_output=True,
            text=True, timeout=120, **({"input": stdin} if stdin is not None else {"stdin": subprocess.DEVNULL}),
        )  # fmt: skip

    def function_log(self, function: str = "RegistrySyncFunction") -> str:
        path = self.workdir / ".govsync" / "logs" / f"{function}.log"
        return path.read_text() if path.exists() else ""


def wait_until(check, timeout: float = 30.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@contextlib.contextmanager
def local_up(workdir: Path, port: int, *options: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """`govsync local up --port PORT [options]` in `workdir`, as a user starts it (`env`: variables the
    user set): its endpoint once ready; stopped (and checked to stop cleanly) afterwards."""
    log = (workdir / "local-up.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "govsync_cli", "local", "up", "--port", str(port), *options],
        cwd=workdir, env={**CLEAN_ENV, **(env or {})}, stdout=subprocess.PIPE, stderr=log,
        stdin=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True).start()
    try:
        wait_until(lambda: any(line.startswith("AWS_ENDPOINT_URL=") for line in lines) or proc.poll() is not None,
                   timeout=180, what="the local stack")  # fmt: skip
        assert proc.poll() is None, (workdir / "local-up.log").read_text()
        endpoint = next(line for line in lines if line.startswith("AWS_ENDPOINT_URL=")).strip().split("=", 1)[1]
        assert endpoint == f"http://127.0.0.1:{port}"
        yield endpoint
    finally:
        stop_process(proc)
        log.close()
        stopped = (workdir / "local-up.log").read_text()
        assert proc.returncode == 0 and "[local] stopped" in stopped, stopped[-2000:]


@pytest.fixture(scope="session")
def local(tmp_path_factory) -> Iterator[Local]:
    """`govsync local up --duplicate-events`: every SageMaker event is delivered twice."""
    workdir = tmp_path_factory.mktemp("local-stack")
    with local_up(workdir, free_port(), "--duplicate-events") as endpoint:
        shown = subprocess.run(
            [sys.executable, "-m", "govsync_cli", "local", "info", "--json"],
            env={**CLEAN_ENV, "AWS_ENDPOINT_URL": endpoint}, capture_output=True, text=True, check=True,
        )  # fmt: skip
        yield Local(endpoint, workdir, json.loads(shown.stdout))
