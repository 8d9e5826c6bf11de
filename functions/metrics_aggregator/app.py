"""MetricsAggregatorFunction: on its schedule, stage accounts' endpoint metrics -> the deployed records."""

from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from govsync.jobs import METRICS_AGGREGATION, JobInput
from govsync.observability import logger, metrics, tracer


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_parser(model=JobInput)
def handler(event: JobInput, context: LambdaContext) -> dict:
    return METRICS_AGGREGATION.run(event, None)
