"""DeployFunction: SQS batch of deploy requests -> kicks in the stages' accounts, recorded."""

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from govsync import wiring
from govsync.handlers import sqs_batch


def record_handler(record: SQSRecord) -> str:
    return wiring.deployments().handle_message(record.body, record.message_id).value


handler = sqs_batch(record_handler)
