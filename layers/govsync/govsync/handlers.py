"""The two shapes of handler the functions have, with Powertools' logger, tracer and metrics: a batch of
SQS messages (each failure reported alone) and a scheduled job (its schedule's input parsed, extra keys
refused, planning a run; its work queue's messages doing it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from govsync.observability import capture_lambda_handler, capture_method, logger, metrics

if TYPE_CHECKING:
    from govsync.jobs import Job

Handler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def receive_count(record: SQSRecord) -> int:
    """How many times SQS has handed this message (1 on its first delivery)."""
    return int(record.attributes.approximate_receive_count or 1)


def observed(handler: Handler) -> Handler:
    """Powertools' logger context, tracer and metrics around a handler."""
    return logger.inject_lambda_context(clear_state=True)(capture_lambda_handler(metrics.log_metrics(handler)))


def _batch(record_handler: Callable[..., str]) -> Handler:
    """An SQS batch, `record_handler` per message, each failure reported alone (ReportBatchItemFailures)."""
    processor = BatchProcessor(event_type=EventType.SQS)

    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return dict(process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                             context=context))  # fmt: skip

    return handler


def sqs_batch(record_handler: Callable[[SQSRecord], str]) -> Handler:
    """A handler for an SQS event source with ReportBatchItemFailures: `record_handler` per message."""
    return observed(_batch(capture_method(record_handler)))


# a work item's invocation starts no new work with less than this left; the rest is queued as its next part
CHECKPOINT_MARGIN_MS = 60_000


def scheduled(job: Job) -> Handler:
    """A scheduled job's handler. Its schedule's event (EventBridge Scheduler's Input is the job's input)
    plans a run onto the job's work queue; the queue's batches (one work item each) do the work."""
    from aws_lambda_powertools.utilities.parser import event_parser  # only the scheduled functions parse

    from govsync.jobs import JobInput
    from govsync.services.messages import Message
    from govsync.wiring.runs import fanout

    service = job.load_builder()  # the job's services load with the function, not on its first run

    @event_parser(model=JobInput)
    def plan(event: JobInput, context: LambdaContext) -> dict[str, Any]:
        work = service()  # the function's own settings first: the fan-out's block is answered from them
        return fanout().start(work, job.plan_input(event), job.new_run_id())

    def work_item(record: SQSRecord, lambda_context: LambdaContext) -> str:
        message = Message(record.body, record.message_id, receive_count(record))
        keep_going = lambda: lambda_context.get_remaining_time_in_millis() > CHECKPOINT_MARGIN_MS  # noqa: E731
        work = service()
        return fanout().handle_message(work, message, keep_going)

    work = _batch(work_item)

    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return work(event, context) if "Records" in event else plan(event, context)

    return observed(handler)
