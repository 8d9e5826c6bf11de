"""Domain exceptions. `is_retryable` is the one place that decides retry vs. reject."""

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


class PermanentAwsError(GovsyncError):
    """An AWS call failed in a way retrying cannot fix (not found, access denied, validation)."""

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class ModelPackageNotFound(PermanentAwsError):
    """The model package the event names does not exist (any more)."""


class ConcurrentChange(RetryableError):
    """Another writer changed the version between our read and our write (optimistic lock lost)."""


class AuditChainBroken(GovsyncError):
    """The hash chain of a version's audit entries does not verify."""


def is_retryable(exc: BaseException) -> bool:
    """Retry what may succeed later; reject what never will."""
    return not isinstance(exc, RejectedEvent | PermanentAwsError)
