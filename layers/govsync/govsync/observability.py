"""The one place that creates the logger, metrics and tracer (Powertools).

The tracer is created on a handler's first call, and only where it records something: in Lambda with
`POWERTOOLS_TRACE_DISABLED` not true (the template's `DetailedTracing` parameter). Creating Powertools'
Tracer loads the X-Ray SDK, whose recorder builds two X-Ray clients for its sampler: about as long as
`import boto3` again, paid on every cold start. Without it Lambda still records each invocation's segment
(`Tracing: Active`); with it each handler and record gets its own subsegment and AWS calls are traced.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.shared.functions import resolve_truthy_env_var_choice

logger = Logger(service="govsync")
metrics = Metrics(namespace="GovSync", service="govsync")


@functools.lru_cache(maxsize=1)
def tracer() -> Any:
    """Powertools' Tracer, or None where it would record nothing (outside Lambda, or disabled)."""
    disabled = resolve_truthy_env_var_choice(env=os.getenv("POWERTOOLS_TRACE_DISABLED", "false"))
    if disabled or not os.getenv("LAMBDA_TASK_ROOT") or os.getenv("AWS_SAM_LOCAL"):
        return None
    from aws_lambda_powertools import Tracer

    return Tracer(service="govsync")


def _traced[F: Callable[..., Any]](capture: str, function: F) -> F:
    wrapped: list[Callable[..., Any]] = []

    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> Any:
        if not wrapped:
            active = tracer()
            wrapped.append(getattr(active, capture)(function) if active is not None else function)
        return wrapped[0](*args, **kwargs)

    return run  # type: ignore[return-value]


def capture_lambda_handler[F: Callable[..., Any]](handler: F) -> F:
    """Powertools' `tracer.capture_lambda_handler`, when there is a tracer."""
    return _traced("capture_lambda_handler", handler)


def capture_method[F: Callable[..., Any]](method: F) -> F:
    """Powertools' `tracer.capture_method`, when there is a tracer."""
    return _traced("capture_method", method)


__all__ = ["MetricUnit", "capture_lambda_handler", "capture_method", "logger", "metrics", "tracer"]
