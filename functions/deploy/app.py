"""DeployFunction: SQS batch of deploy requests -> kicks in the stages' accounts, recorded."""

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from govsync.handlers import receive_count, sqs_batch
from govsync.wiring.deploy import deployments


def record_handler(record: SQSRecord) -> str:
    return deployments().handle_message(record.body, record.message_id, receive_count(record)).value


handler = sqs_batch(record_handler)
