"""The two shapes of handler the functions have, with Powertools' logger, tracer and metrics: a batch of
SQS messages (each failure reported alone) and a scheduled job (its input parsed, extra keys refused)."""

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


def sqs_batch(record_handler: Callable[[SQSRecord], str]) -> Handler:
    """A handler for an SQS event source with ReportBatchItemFailures: `record_handler` per message."""
    processor = BatchProcessor(event_type=EventType.SQS)
    traced = capture_method(record_handler)

    @logger.inject_lambda_context(clear_state=True)
    @capture_lambda_handler
    @metrics.log_metrics
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return dict(process_partial_response(event=event, record_handler=traced, processor=processor, context=context))

    return handler


def scheduled(job: Job) -> Handler:
    """A handler for a job's schedule (EventBridge Scheduler's Input is the job's input)."""
    from aws_lambda_powertools.utilities.parser import event_parser  # only the scheduled functions parse

    from govsync.jobs import JobInput

    @event_parser(model=JobInput)
    def run(event: JobInput, context: LambdaContext) -> dict[str, Any]:
        return job.run(event, None)

    @logger.inject_lambda_context(clear_state=True)
    @capture_lambda_handler
    @metrics.log_metrics
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return run(event, context)

    return handler
