"""Notifications against the local AWS: the functions of the template publish each fact once to the
notifications topic (and the central bus), in its documented shape, whichever function made the change."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from govsync.adapters.sqs import REASON_ATTRIBUTE
from govsync.domain.notifications import TYPES
from govsync_local.server import free_port
from govsync_local.webhooks import WebhookReceiver

from ..unit.helpers import FULL_METADATA
from .conftest import GROUP, WEBHOOK_SECRET, as_registrant, register
from .test_promotion import approve, event_for, lifecycle, sync

SCHEMAS = {
    kind: json.loads(
        (Path(__file__).resolve().parents[2] / "docs" / "notifications" / f"{kind}.schema.json").read_text()
    )
    for kind in TYPES
}


def told(stack) -> list[tuple[str, str]]:
    heard = stack.notifications()
    for message in heard:
        jsonschema.validate(message, SCHEMAS[message["type"]], format_checker=jsonschema.FormatChecker())
    return [(m["type"], m["stage"]) for m in heard]


def test_each_function_tells_its_facts_once(stack):
    stack.configure(DashboardLinkUrl="https://dash.example.com/v1/dashboard/index.html")
    arn = register(stack.sagemaker, metadata={**FULL_METADATA, "ModelRisk": "Medium"})
    event = event_for(arn)
    assert stack.invoke(event) == {"batchItemFailures": []}
    assert stack.invoke(event) == {"batchItemFailures": []}  # the same event again
    heard = stack.notifications()
    assert [(m["type"], m["stage"]) for m in heard] == [("approval-requested", "development")]
    assert heard[0]["link"] == f"https://dash.example.com/v1/dashboard/index.html#/models/{GROUP}/1"
    assert heard[0]["summary"] == "development waits for a decision"
    # the registry sync, the deploy function and the deployment status function each tell theirs
    approve(stack, arn)
    stack.run_deployments()
    assert told(stack) == [("approval-requested", "test"), ("deployed", "test")]
    lifecycle(stack, arn, "Staging", "Approved")
    stack.run_deployments()
    assert told(stack) == [("approval-requested", "production"), ("deployed", "production")]
    lifecycle(stack, arn, "Production", "Rejected")  # no earlier version to roll back to: nothing to tell
    stack.run_deployments()
    assert told(stack) == []
    assert stack.aws_calls("events").count("events:PutEvents") == 5  # the central bus heard each one too


def test_an_unauthorized_registry_decision_is_told(stack):
    arn = register(stack.sagemaker)
    sync(stack, arn)
    stack.notifications()
    # the registrant approves her own version in the registry
    as_registrant(stack.sagemaker).update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    sync(stack, arn)
    heard = stack.notifications()
    assert [(m["type"], m["stage"]) for m in heard] == [("unauthorized-decision", "development")]
    assert "DataScientist" in heard[0]["detail"]["by"] and heard[0]["detail"]["reason"]


def test_webhooks_are_signed_verified_by_the_receiver_and_dead_lettered_when_it_is_gone(stack):
    receiver = WebhookReceiver(log=lambda _line: None)
    receiver.start(WEBHOOK_SECRET)
    gone = free_port()  # nothing listens there
    try:
        stack.configure(Webhooks=json.dumps({"approval-requested": [receiver.url],
                                             "*": [f"http://127.0.0.1:{gone}/hook"]}))  # fmt: skip
        arn = register(stack.sagemaker)
        sync(stack, arn)
        # the receiver verified the signature with the stack's secret (the documented recipe)
        assert [(m["type"], m["stage"]) for m in receiver.received] == [("approval-requested", "development")]
        assert receiver.received[0] == stack.notifications()[0]  # the same message as the topic's
        # the endpoint that is gone: three tries, then the dead-letter queue with the reason
        (dead,) = stack.sqs.receive_message(QueueUrl=stack.queues["NotificationsDLQ"],
                                            MessageAttributeNames=["All"])["Messages"]  # fmt: skip
        reason = dead["MessageAttributes"][REASON_ATTRIBUTE]["StringValue"]
        assert reason.startswith(f"webhook http://127.0.0.1:{gone}/hook: URLError") and "after 3 attempt(s)" in reason
        assert json.loads(dead["Body"])["type"] == "approval-requested"
    finally:
        receiver.stop()
