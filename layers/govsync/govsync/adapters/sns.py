"""SNS: govsync's notifications topic (one message per notification, its type a message attribute)."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from govsync.adapters import aws
from govsync.domain.arns import Arn


class TopicPublisher:
    """Publish of one message to a topic; failures translated (transient ones retryable)."""

    def __init__(self, topic_arn: str, client: Any = None) -> None:
        self.topic_arn = topic_arn
        self._client = client

    def publish(self, subject: str, message: dict[str, Any], attributes: dict[str, str]) -> str:
        sns = self._client or aws.client("sns", Arn.parse(self.topic_arn).region)
        try:
            answer = sns.publish(
                TopicArn=self.topic_arn,
                Subject=subject[:100],
                Message=json.dumps(message, default=str),
                MessageAttributes={k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()},
            )
        except (ClientError, BotoCoreError) as exc:
            raise aws.translate(exc, "Publish", self.topic_arn) from exc
        return str(answer["MessageId"])
