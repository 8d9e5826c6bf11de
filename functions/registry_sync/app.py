"""RegistrySyncFunction: SQS batch of "SageMaker Model Package State Change" events -> governance table."""

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from govsync.handlers import receive_count, sqs_batch
from govsync.wiring.sync import registry_sync


def record_handler(record: SQSRecord) -> str:
    return registry_sync().handle_message(record.body, record.message_id, receive_count(record)).value


handler = sqs_batch(record_handler)
