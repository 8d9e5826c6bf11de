"""What every queue consumer does with one SQS message: parse the envelope, and decide between
retry (raise: the batch reports the item), success, and rejection (acknowledged after the message is
sent to the dead-letter queue with its reason)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import ValidationError

from govsync.domain.errors import ConfigurationProblem, RejectedEvent, is_retryable
from govsync.domain.events import EventEnvelope, rejection_reason
from govsync.domain.stages import StageConfig
from govsync.domain.targets import Target
from govsync.observability import MetricUnit, logger, metrics
from govsync.services.ports import DeadLetter, Store, utc_now
from govsync.settings import QueueConsumer


class Message:
    def __init__(self, body: str, message_id: str, receive_count: int = 1) -> None:
        self.body = body
        self.message_id = message_id
        self.receive_count = receive_count  # SQS's ApproximateReceiveCount: 1 on the first delivery
        self.event_id: str | None = None

    def identify(self, event_id: str | None) -> None:
        """The event (or request) this message carries: logged as the correlation id."""
        self.event_id = event_id
        logger.set_correlation_id(event_id)

    def envelope(self) -> EventEnvelope:
        """The EventBridge envelope of the body; a malformed one is rejected."""
        try:
            envelope = EventEnvelope.model_validate_json(self.body)
        except ValidationError as exc:
            raise RejectedEvent(rejection_reason(exc)) from exc
        self.identify(envelope.id)
        return envelope


@dataclass(kw_only=True)
class Consumer:
    """What every queue-fed service has: its settings (and their stage targets), the governance store,
    the dead-letter queue its rejections go to, and a clock."""

    settings: QueueConsumer
    store: Store
    dead_letter: DeadLetter
    clock: Callable[[], datetime] = utc_now
    targets: dict[str, Target] = field(init=False, repr=False)
    config: StageConfig = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.targets = self.settings.targets
        self.config = self.settings.stage_config

    def now(self) -> str:
        return self.clock().isoformat()

    def consume[T](self, message: Message, handle: Callable[[Message], T], *, rejected: T, what: str, metric: str) -> T:
        """`handle` the message; on its queue's last delivery a transient failure dead-letters it with
        its reason instead of leaving SQS to move it there without one."""
        return handle_or_dead_letter(message, handle, self.dead_letter, rejected=rejected, what=what, metric=metric,
                                     last_attempt=message.receive_count >= self.settings.max_receive_count)  # fmt: skip


# Keys a service appends to every log line of the message it handles (the version, the stage).
MESSAGE_KEYS = ("model_group", "model_version", "stage", "endpoint_status")


def handle_or_dead_letter[T](
    message: Message,
    handle: Callable[[Message], T],
    dead_letter: DeadLetter,
    *,
    rejected: T,
    what: str,
    metric: str,
    last_attempt: bool = False,
) -> T:
    logger.remove_keys(list(MESSAGE_KEYS))  # what the previous message of the batch was about
    try:
        return handle(message)
    except ConfigurationProblem as exc:
        # not the event's fault: keep it, with the reason, for a redrive once the stack is fixed
        reason = f"configuration error: {exc}"
        logger.error("configuration error: message kept in the dead-letter queue for redrive after the fix",
                     action=exc.action, resource=exc.resource, error_code=exc.code, error=str(exc),
                     event_id=message.event_id, message_id=message.message_id)  # fmt: skip
        metrics.add_metric(name="ConfigurationErrors", unit=MetricUnit.Count, value=1)
        dead_letter.send(message.body, reason=reason, event_id=message.event_id, message_id=message.message_id)
        return rejected
    except Exception as exc:
        if is_retryable(exc) and not last_attempt:
            raise
        reason = getattr(exc, "reason", None) or str(exc)
        if is_retryable(exc):
            reason = f"gave up after {message.receive_count} attempts: {reason}"
        logger.warning(f"{what} rejected", reason=reason, event_id=message.event_id, message_id=message.message_id)
        metrics.add_metric(name=metric, unit=MetricUnit.Count, value=1)
        dead_letter.send(message.body, reason=reason, event_id=message.event_id, message_id=message.message_id)
        return rejected
