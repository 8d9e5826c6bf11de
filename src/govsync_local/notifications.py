"""The local stack's notifications: two queues subscribed to the stack's notifications topic (raw
messages): `govsync-local-notifications`, for people and scripts to read (`govsync local info --json`
names it `notifications_queue`), and one the local stack reads to print each notification as a line."""

from __future__ import annotations

import json
import threading
from typing import Any

from govsync_local.accounts import client

QUEUE = "govsync-local-notifications"
PRINTED = "govsync-local-notifications-printed"


def topic_arn(endpoint: str, stack_name: str) -> str | None:
    stack = client("cloudformation", endpoint).describe_stacks(StackName=stack_name)["Stacks"][0]
    return next((o["OutputValue"] for o in stack.get("Outputs", []) if o["OutputKey"] == "AlarmTopicArn"), None)


def webhook_secret(endpoint: str, secret_arn: str) -> str:
    """The value of the stack's webhook signing secret (what a receiver is given)."""
    return str(client("secretsmanager", endpoint).get_secret_value(SecretId=secret_arn)["SecretString"])


def subscribe(endpoint: str, topic: str) -> dict[str, str]:
    """Both queues, subscribed to `topic` once (a restored stack keeps its subscriptions); their URLs."""
    sqs, sns = client("sqs", endpoint), client("sns", endpoint)
    subscribed = {s["Endpoint"] for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]}
    urls = {}
    for name in (QUEUE, PRINTED):
        url = urls[name] = sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        if arn not in subscribed:
            sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    return urls


def queue_url(endpoint: str) -> str | None:
    try:
        return str(client("sqs", endpoint).get_queue_url(QueueName=QUEUE)["QueueUrl"])
    except Exception:  # not created (a stack started before notifications): none
        return None


def line(message: dict[str, Any]) -> str:
    """One notification in one line."""
    where = f"{message.get('model_group')} v{message.get('model_version')} {message.get('stage')}"
    return f"[notify] {message.get('type')}: {where}: {message.get('summary')}"


class NotificationPrinter(threading.Thread):
    """Prints each notification the topic delivers to the printed queue, as it comes."""

    def __init__(self, endpoint: str, url: str, log: Any) -> None:
        super().__init__(name="notification-printer", daemon=True)
        self._sqs, self._url, self._log = client("sqs", endpoint), url, log
        self._stopping = threading.Event()

    def run(self) -> None:
        while not self._stopping.is_set():
            try:
                answer = self._sqs.receive_message(QueueUrl=self._url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            except Exception:  # the server is going away
                if self._stopping.wait(1):
                    return
                continue
            for message in answer.get("Messages", []):
                try:
                    self._log(line(json.loads(message["Body"])))
                except ValueError:
                    self._log(f"[notify] {message['Body'][:200]}")
                self._sqs.delete_message(QueueUrl=self._url, ReceiptHandle=message["ReceiptHandle"])

    def stop(self) -> None:
        self._stopping.set()
