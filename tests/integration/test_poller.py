"""The local stand-in for Lambda's SQS event-source mapping: batches, partial failures, redrive."""

import json
import textwrap

import boto3
import pytest
from moto import mock_aws

from govsync_local.poller import QueuePoller
from govsync_local.template import FunctionSpec

HANDLER = textwrap.dedent(
    """
    import json, os

    def handler(event, context):
        failures = []
        for record in event["Records"]:
            body = json.loads(record["body"])
            if body.get("fail"):
                failures.append({"itemIdentifier": record["messageId"]})
            if body.get("crash"):
                raise RuntimeError("boom")
        with open(os.environ["SEEN_FILE"], "a") as seen:
            seen.write(json.dumps([json.loads(r["body"])["n"] for r in event["Records"]]) + "\\n")
        return {"batchItemFailures": failures}
    """
)


@pytest.fixture
def queues(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "fn").mkdir()
    (tmp_path / "fn" / "app.py").write_text(HANDLER)
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        queue = sqs.create_queue(
            QueueName="q",
            Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"})},
        )["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        spec = FunctionSpec("Fn", tmp_path / "fn", "app.handler", {}, timeout=10, batch_size=10,
                            report_batch_item_failures=True)  # fmt: skip
        poller = QueuePoller(spec, queue, arn, {"SEEN_FILE": str(tmp_path / "seen")}, sqs, print, retry_delay=0)
        yield sqs, queue, dlq, poller, tmp_path / "seen"
        poller.worker.stop()


def count(sqs, url):
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])


def test_partial_failure_deletes_the_rest_and_redrives_the_failure(queues):
    sqs, queue, dlq, poller, seen = queues
    # Given a batch with one message the handler reports as failed
    for n in range(3):
        sqs.send_message(QueueUrl=queue, MessageBody=json.dumps({"n": n, "fail": n == 1}))
    # When polled until the queue is drained
    for _ in range(5):
        poller.poll_once()
    # Then the good messages were deleted after one invocation, and the failing one was retried until
    # the queue's maxReceiveCount moved it to the dead-letter queue
    batches = [json.loads(line) for line in seen.read_text().splitlines()]
    assert sorted(batches[0]) == [0, 1, 2]
    assert all(batch == [1] for batch in batches[1:])
    assert count(sqs, queue) == 0
    (dead,) = sqs.receive_message(QueueUrl=dlq).get("Messages")
    assert json.loads(dead["Body"])["n"] == 1


def test_a_crashing_handler_fails_the_whole_batch(queues):
    sqs, queue, _dlq, poller, seen = queues
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps({"n": 0}))
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps({"n": 1, "crash": True}))
    poller.poll_once()
    assert not seen.exists()
    assert count(sqs, queue) == 2
