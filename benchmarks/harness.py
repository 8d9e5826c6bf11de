"""Shared benchmark plumbing: a moto server in its own process, call counting, timing.

Figures are printed as ratios against a floor measured in the same run on the same server: these
machines are noisy, so absolute times mean little.
"""

from __future__ import annotations

import statistics
import time
import warnings
from collections import Counter
from collections.abc import Callable
from typing import Any

import botocore.session

from govsync_local.fake_env import QUIET_ENV
from govsync_local.server import free_port, moto_server  # noqa: F401  (re-exported for the benchmarks)

# Handlers run here outside Lambda: their metrics would be printed to the terminal as EMF blobs (and a
# handler that adds none warns that it has nothing to publish); the benchmarks measure, they do not publish.
ENV = QUIET_ENV
warnings.filterwarnings("ignore", message="No application metrics to publish")


def quiet() -> None:
    """The benchmarks' environment, and the logger already created told to keep to errors."""
    import os

    from govsync.observability import logger

    os.environ.update(ENV)
    logger.setLevel("ERROR")


def forget_metrics() -> None:
    """Drop what the services added to Powertools' metrics outside a handler (nothing flushes them)."""
    from govsync.observability import metrics

    metrics.clear_metrics()


class CallCounter:
    """Counts AWS API calls with botocore's event hooks, on every client created from now on."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.items_read = 0  # DynamoDB items the calls returned (Query, GetItem, BatchGetItem)
        self._original = botocore.session.Session.create_client

    def __enter__(self) -> CallCounter:
        counter = self

        def create_client(session: Any, *args: Any, **kwargs: Any) -> Any:
            client = counter._original(session, *args, **kwargs)
            client.meta.events.register("before-call", counter._count)
            client.meta.events.register("after-call.dynamodb", counter._read)
            return client

        botocore.session.Session.create_client = create_client
        return self

    def _count(self, model: Any, **_: Any) -> None:
        self.calls[f"{model.service_model.service_name}:{model.name}"] += 1

    def _read(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name in ("Query", "Scan"):
            self.items_read += int(parsed.get("Count", 0))
        elif model.name == "GetItem":
            self.items_read += "Item" in parsed
        elif model.name == "BatchGetItem":
            self.items_read += sum(len(items) for items in parsed.get("Responses", {}).values())

    def __exit__(self, *exc: object) -> None:
        botocore.session.Session.create_client = self._original

    def total(self) -> int:
        return sum(self.calls.values())

    def reset(self) -> None:
        self.calls.clear()
        self.items_read = 0


def measured(counter: CallCounter, fn: Callable[[], Any]) -> tuple[float, int]:
    """How long `fn` takes, and how many AWS calls it makes."""
    counter.reset()
    seconds = timed(fn)
    return seconds, counter.total()


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def report(name: str, value: float, goal: str, ok: bool) -> str:
    mark = "ok" if ok else "MISSED"
    return f"  {name:<58} {value:>8.2f}   goal {goal:<10} {mark}"
