"""A PynamoDB error as the domain's transient, configuration or permanent error (one place for every
reader and writer of the governance table)."""

from __future__ import annotations

from pynamodb.exceptions import PynamoDBException

from govsync.adapters.dynamodb_items import GovernanceItem
from govsync.domain.errors import GovsyncError, RetryableError, classify


def failure(exc: PynamoDBException, action: str) -> GovsyncError:
    """A PynamoDB error as the domain's transient, configuration or permanent error."""
    try:
        code = exc.cause_response_code or ""
    except AttributeError:  # PynamoDB reads a response the cause (a timeout, say) does not have
        code = ""
    if not code:  # no answer from DynamoDB (connection, timeout): may work next time
        return RetryableError(f"{action}: {exc.msg}")
    cause = getattr(exc, "cause", None)
    status = int(getattr(cause, "response", {}).get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    table = GovernanceItem.Meta.table_name
    return classify(action, code, status, exc.cause_response_message or exc.msg, f"on table {table}")
