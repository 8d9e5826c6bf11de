"""Scheduled runs fanned out over their work queue, against moto: a group too big for one invocation
goes on from the page it stopped at; a work item delivered twice counts once; a malformed one is
dead-lettered with its reason; records written before the use-case tallies are counted by the next
reconcile, after which the use case advances on its own again."""

import json

import boto3
import pytest

from govsync import handlers, wiring
from govsync.adapters.sqs import REASON_ATTRIBUTE

from .conftest import GROUP, register
from .test_promotion import approve, records, sync


def test_a_group_too_big_for_one_invocation_goes_on_from_where_it_stopped(stack, monkeypatch):
    # Given 105 versions (two pages) and invocations that run short of time after each page
    for _ in range(105):
        register(stack.sagemaker)
    monkeypatch.setattr(handlers, "CHECKPOINT_MARGIN_MS", 10**9)
    # When the reconciler runs
    summary = stack.invoke_job("ReconcilerFunction")
    # Then the group took two parts (the second from the page the first stopped at), each version once
    assert stack.work_items_handled == 2
    assert (summary["groups"], summary["checked"], summary["repaired"], summary["failed"]) == (1, 105, 105, 0)
    assert summary["parts"] == 3  # the plan, and the group's two parts


def test_a_work_item_delivered_twice_counts_once(stack):
    # Given a planned reconcile run whose one work item is delivered twice
    sync(stack, register(stack.sagemaker))
    planned = stack.plan_job("ReconcilerFunction", {"job": "reconcile"})
    (body,) = stack.drain("ReconcileWorkQueue")
    # When both deliveries are handled
    assert stack.invoke_function("ReconcilerFunction", body) == {"batchItemFailures": []}
    assert stack.invoke_function("ReconcilerFunction", body, receive_count=2) == {"batchItemFailures": []}
    # Then the run counted the version once, and finished once
    state = wiring.fanout().runs.state("reconcile", planned["run_id"])
    assert state.complete and (state.expected, state.done) == (2, 2)
    assert (state.summary["checked"], state.summary["up_to_date"]) == (1, 1)
    assert stack.drain("ReconcileWorkQueue") == []


def test_a_malformed_work_item_is_dead_lettered_with_its_reason(stack):
    stack.invoke_function("ReconcilerFunction", json.dumps({"job": "reconcile", "run_id": "r", "item_id": "x"}))
    (message,) = stack.drain_messages("ScheduledJobsDLQ")
    assert "malformed work item" in message["MessageAttributes"][REASON_ATTRIBUTE]["StringValue"]
    # a work item of another job is refused too
    other = {"job": "metrics-aggregation", "run_id": "r", "item_id": "x", "work": {}}
    stack.invoke_function("ReconcilerFunction", json.dumps(other))
    (message,) = stack.drain_messages("ScheduledJobsDLQ")
    assert "reached the 'reconcile' job" in message["MessageAttributes"][REASON_ATTRIBUTE]["StringValue"]


def test_records_from_before_the_tallies_are_counted_by_the_next_reconcile(stack):
    # Given two approved versions of the use case whose records were written before the tallies existed
    for _ in range(2):
        arn = register(stack.sagemaker)
        sync(stack, arn)
        approve(stack, arn)
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    for version in (1, 2):
        for stage in ("development", "test"):
            ddb.update_item(TableName=stack.table, Key={"pk": {"S": f"MODEL#{GROUP}#{version}"},
                            "sk": {"S": f"V#STAGE#{stage}"}}, UpdateExpression="REMOVE counted_use_case, "
                            "counted_approved")  # fmt: skip
    use_case = records(1)["development"].use_case_id
    for tally in ddb.query(TableName=stack.table, KeyConditionExpression="pk = :pk",
                           ExpressionAttributeValues={":pk": {"S": f"USECASE#{use_case}"}})["Items"]:  # fmt: skip
        if tally["sk"]["S"].startswith("U#TALLY#"):
            ddb.delete_item(TableName=stack.table, Key={"pk": tally["pk"], "sk": tally["sk"]})
    assert wiring.governance_store().use_case_tallies(use_case) == []
    # When the reconciler runs (twice: the second finds nothing left to count)
    summary = stack.invoke_job("ReconcilerFunction")
    again = stack.invoke_job("ReconcilerFunction")
    # Then each of the four records was counted once, and the tallies are what the records say
    assert (summary["counted"], again["counted"]) == (4, 0)
    tallies = {(t.stage, t.records, t.approved) for t in wiring.governance_store().use_case_tallies(use_case)}
    assert tallies == {("development", 2, 2), ("test", 2, 0)}


@pytest.fixture(autouse=True)
def _dead_letter_reader(stack):
    def drain_messages(queue: str) -> list[dict]:
        sqs, url = stack.sqs, stack.queues[queue]
        found = []
        while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                              MessageAttributeNames=["All"]).get("Messages", []):  # fmt: skip
            for message in messages:
                found.append(message)
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return found

    stack.drain_messages = drain_messages
