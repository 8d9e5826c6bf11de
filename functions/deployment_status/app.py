"""DeploymentStatusFunction: SQS batch of "SageMaker Endpoint State Change" events -> deployment status."""

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from govsync.handlers import receive_count, sqs_batch
from govsync.wiring.status import deployment_status


def record_handler(record: SQSRecord) -> str:
    return deployment_status().handle_message(record.body, record.message_id, receive_count(record)).value


handler = sqs_batch(record_handler)
