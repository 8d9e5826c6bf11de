"""What every adapter shares: one botocore retry configuration and one error translation."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from govsync import __version__
from govsync.domain.errors import PermanentAwsError, RetryableError

# boto3's own retries (standard mode: throttling, 5xx, transient network errors, with backoff).
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 5},
    connect_timeout=5,
    read_timeout=30,
    user_agent_extra=f"govsync/{__version__}",
)

RETRYABLE_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestThrottled",
        "SlowDown",
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionConflict",
        "TransactionInProgressException",
    }
)


@lru_cache(maxsize=32)
def client(service: str, region: str | None = None) -> Any:
    """A client per (service, region), created once. Honours AWS_ENDPOINT_URL and profiles."""
    return boto3.session.Session().client(service, region_name=region, config=CLIENT_CONFIG)


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def translate(exc: Exception, action: str) -> Exception:
    """Turn a botocore error into RetryableError or PermanentAwsError (raise it `from exc`)."""
    if isinstance(exc, ClientError):
        code = error_code(exc)
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        message = str(exc.response.get("Error", {}).get("Message", ""))[:300]
        if code in RETRYABLE_CODES or status >= 500:
            return RetryableError(f"{action}: {code or status} {message}".strip())
        return PermanentAwsError(f"{action}: {code} {message}".strip(), code=code)
    if isinstance(exc, BotoCoreError):
        return RetryableError(f"{action}: {exc}")
    return exc
