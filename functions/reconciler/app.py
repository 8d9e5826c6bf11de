"""ReconcilerFunction: on its schedule, the registry listed and every missing or stale record repaired."""

from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from govsync.jobs import RECONCILE, JobInput
from govsync.observability import logger, metrics, tracer


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_parser(model=JobInput)
def handler(event: JobInput, context: LambdaContext) -> dict:
    return RECONCILE.run(event, None)
