"""Shared benchmark plumbing: a moto server in its own process, call counting, timing.

Figures are printed as ratios against a floor measured in the same run on the same server: these
machines are noisy, so absolute times mean little.
"""

from __future__ import annotations

import contextlib
import os
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import botocore.session

ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_NAMESPACE": "GovSync",
    "POWERTOOLS_LOG_LEVEL": "ERROR",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def moto_server(account_id: str = "111111111111") -> Iterator[str]:
    """A moto server in a child process (its CPU time is not the client's); yields its endpoint."""
    port = free_port()
    env = {**os.environ, **ENV, "MOTO_ACCOUNT_ID": account_id}
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
            time.sleep(0.05)
        else:
            raise RuntimeError("moto server did not start")
        yield endpoint
    finally:
        proc.terminate()
        proc.wait(timeout=10)


class CallCounter:
    """Counts AWS API calls with botocore's event hooks, on every client created from now on."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self._original = botocore.session.Session.create_client

    def __enter__(self) -> CallCounter:
        counter = self

        def create_client(session: Any, *args: Any, **kwargs: Any) -> Any:
            client = counter._original(session, *args, **kwargs)
            client.meta.events.register("before-call", counter._count)
            return client

        botocore.session.Session.create_client = create_client
        return self

    def _count(self, model: Any, **_: Any) -> None:
        self.calls[f"{model.service_model.service_name}:{model.name}"] += 1

    def __exit__(self, *exc: object) -> None:
        botocore.session.Session.create_client = self._original

    def total(self) -> int:
        return sum(self.calls.values())

    def reset(self) -> None:
        self.calls.clear()


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def report(name: str, value: float, goal: str, ok: bool) -> str:
    mark = "ok" if ok else "MISSED"
    return f"  {name:<58} {value:>8.2f}   goal {goal:<10} {mark}"
