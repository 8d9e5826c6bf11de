"""A kick whose stage endpoint is being updated waits for it on the deploy queue: an update under guardrails
can bake for hours, longer than the queue's few deliveries last. The request comes back every
`update_wait_seconds` (a copy, delayed, that says since when it waits) until the endpoint takes updates
again, for at most SageMaker's longest update; then it goes to the dead-letter queue with the reason."""

from __future__ import annotations

from datetime import datetime

from govsync.domain.deploy_requests import Outcome, waiting_again
from govsync.domain.errors import EndpointBusy, RejectedEvent
from govsync.domain.guardrails import LONGEST_UPDATE
from govsync.observability import MetricUnit, logger, metrics
from govsync.services.ports import DelayedQueue


def wait_for_update(queue: DelayedQueue | None, body: str, busy: EndpointBusy, now: datetime, seconds: int) -> Outcome:
    """Send the request `body` again in `seconds`; without a queue, `busy` is retried as any transient error."""
    if queue is None:
        raise busy
    again, since = waiting_again(body, now)
    if now - since >= LONGEST_UPDATE:
        raise RejectedEvent(f"{busy} after waiting since {since.isoformat()}: longer than any SageMaker update")
    queue.send_later(again, seconds)
    logger.info("the stage's endpoint is being updated: the request comes back later", reason=str(busy),
                in_seconds=seconds, waiting_since=since.isoformat())  # fmt: skip
    metrics.add_metric(name="DeploysWaiting", unit=MetricUnit.Count, value=1)
    return Outcome.WAITING
