"""Domain exceptions, in three classes of failure, and the one place that tells them apart:

- transient (`RetryableError`): throttling, 5xx, a lost optimistic-lock race: the message is retried;
- configuration (`ConfigurationProblem`): a resource govsync is set up to use is missing, or a call it
  needs is denied: retrying cannot help, fixing the stack does. The message is kept in the dead-letter
  queue with the reason, for redrive after the fix, and counted (`ConfigurationErrors`, alarmed);
- rejection (`RejectedEvent`, `PermanentAwsError`): the event or its object is bad: dead-letter queue
  at once with the reason.
"""

from __future__ import annotations


class GovsyncError(Exception):
    """Base class for everything govsync raises on purpose."""


class RejectedEvent(GovsyncError):
    """The event is not ours or cannot be processed; retrying cannot help.

    It ends in the dead-letter queue with `reason`.
    """

    def __init__(self, reason: str, *, event_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.event_id = event_id


class RetryableError(GovsyncError):
    """A transient failure (throttling, 5xx, a lost optimistic-lock race): the message is retried."""


class EndpointBusy(RetryableError):
    """The stage's endpoint is being changed (an update baking, a rollback): a kick waits until it is done."""


class PermanentAwsError(GovsyncError):
    """An AWS call failed in a way retrying cannot fix (not found, access denied, validation)."""

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class ConfigurationProblem(PermanentAwsError):
    """A missing resource or a denied permission: the stack's configuration, not the event, is wrong."""

    def __init__(self, message: str, *, code: str, action: str, resource: str = "") -> None:
        super().__init__(message, code=code)
        self.action = action
        self.resource = resource


# Error codes that mean "the stack is misconfigured", whichever service answers them.
CONFIGURATION_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "AuthorizationError",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "ResourceNotFoundException",
        "AWS.SimpleQueueService.NonExistentQueue",
        "QueueDoesNotExist",
        "NoSuchBucket",
        "KMS.NotFoundException",
        "KMS.DisabledException",
    }
)
# Error codes that may succeed later.
TRANSIENT_CODES = frozenset(
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
        "TransactionCanceledException",  # cancelled for a reason other than our condition: a conflict
    }
)


def classify(action: str, code: str, status: int, message: str, resource: str = "") -> GovsyncError:
    """The domain error for an AWS error answer (`code`, HTTP `status`) to `action` on `resource`."""
    what = f"{action} {resource}".strip()
    if code in TRANSIENT_CODES or status >= 500:
        return RetryableError(f"{what}: {code or status} {message}".strip())
    if code in CONFIGURATION_CODES or status == 403:
        return ConfigurationProblem(
            f"{what}: {code or status} {message}".strip(), code=code, action=action, resource=resource
        )
    return PermanentAwsError(f"{what}: {code} {message}".strip(), code=code)


class ModelPackageNotFound(PermanentAwsError):
    """The model package the event names does not exist (any more)."""


class ConcurrentChange(RetryableError):
    """Another writer changed the version between our read and our write (optimistic lock lost)."""


class Refused(GovsyncError):
    """A person's request that cannot be met, with the HTTP status that says why: 400 invalid, 403 not
    theirs to make, 404 unknown, 409 in conflict with the current state, 502 refused by the registry."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class AuditChainBroken(GovsyncError):
    """A version's audit trail does not verify (its head gone, say): nothing is written over it, and a
    person looks (retrying cannot mend it)."""


def is_retryable(exc: BaseException) -> bool:
    """Retry what may succeed later; reject what never will."""
    return not isinstance(exc, RejectedEvent | PermanentAwsError | AuditChainBroken)
