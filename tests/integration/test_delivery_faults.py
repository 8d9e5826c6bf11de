"""Real event delivery against moto: the same change under another event id, two deliveries of one key
at once, a message's last delivery, a message at SQS's size limit, a multipart copy that fails half
way, and a change of the registry that changes no governance fact."""

import json
import threading
import uuid

import botocore.client
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from botocore.exceptions import ClientError

from govsync import wiring
from govsync.adapters.sqs import MAX_MESSAGE_BYTES, REASON_ATTRIBUTE

from .conftest import CENTRAL_BUCKET, DEV_BUCKET, GROUP, load_event, register
from .test_promotion import approve, event_for, records

MIB = 1024 * 1024


def audit(version: int = 1) -> list:
    return wiring.governance_store().audit_entries(GROUP, version)


def throttling(monkeypatch, operation: str, count: dict | None = None) -> None:
    original = botocore.client.BaseClient._make_api_call

    def throttle(self, operation_name, api_params):
        if operation_name == operation:
            if count is not None:
                count["n"] = count.get("n", 0) + 1
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, operation_name)
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", throttle)


def test_the_same_change_under_a_new_event_id_is_applied_once(stack):
    # Given an approved version, synced, its deploy request sent
    arn = register(stack.sagemaker)
    approve(stack, arn)
    assert len(stack.drain("DeployRequestsQueue")) == 1
    entries = len(audit())
    # When EventBridge delivers the same change again, under another event id (a second message)
    assert stack.invoke(event_for(arn)) == {"batchItemFailures": []}
    # Then nothing is written and no second deploy request is sent
    assert len(audit()) == entries
    assert stack.drain("DeployRequestsQueue") == []


def test_two_deliveries_of_one_change_at_once_write_one_entry_and_send_one_request(stack):
    # Given a registered, synced version, then approved in the registry
    arn = register(stack.sagemaker)
    assert stack.invoke(event_for(arn)) == {"batchItemFailures": []}
    stack.sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    wiring.reset()
    service = wiring.registry_sync()
    # When two deliveries of the approval are handled at the same time
    bodies = [json.dumps(event_for(arn)) for _ in range(2)]
    outcomes = []
    threads = [threading.Thread(target=lambda b=b: outcomes.append(service.handle_message(b, str(uuid.uuid4()))))
               for b in bodies]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then one applied the change and the other found it applied: one entry, one deploy request
    assert sorted(o.value for o in outcomes) == ["duplicate", "upserted"]
    assert [e.changes["development"]["model_status"] for e in audit() if "development" in e.changes][-1] == [
        "pending",
        "approved",
    ]
    assert len(stack.drain("DeployRequestsQueue")) == 1


def test_on_its_last_delivery_a_failing_message_goes_to_the_dead_letter_queue_with_its_reason(stack, monkeypatch):
    register(stack.sagemaker)
    event = load_event("model-package-created")
    throttling(monkeypatch, "DescribeModelPackage")
    # While deliveries are left, a throttled read fails the message (SQS hands it again)
    with pytest.raises(BatchProcessingError):  # the batch's only message failed: SQS keeps it
        stack.invoke(event, receive_count=4)
    assert stack.dead_letters() == []
    # On the queue's last delivery (maxReceiveCount 5) the function dead-letters it itself
    assert stack.invoke(event, receive_count=5) == {"batchItemFailures": []}
    (dead,) = stack.dead_letters()
    assert json.loads(dead["Body"]) == event  # the body as it came
    reason = dead["MessageAttributes"][REASON_ATTRIBUTE]["StringValue"]
    assert reason.startswith("gave up after 5 attempts:") and "ThrottlingException" in reason


def test_a_rejected_message_at_the_size_limit_lands_with_its_reason(stack):
    # Given an event near SQS's 1 MiB limit that is not ours (a foreign source)
    event = load_event("model-package-created")
    event["source"] = "not.sagemaker"
    event["detail"]["padding"] = "x" * (MAX_MESSAGE_BYTES - 2_000)
    body = json.dumps(event)
    assert MAX_MESSAGE_BYTES - 2_000 < len(body.encode()) < MAX_MESSAGE_BYTES
    # When it is rejected
    assert stack.invoke(body) == {"batchItemFailures": []}
    # Then it is in the dead-letter queue unchanged, with a reason, within the size limit
    (dead,) = stack.dead_letters()
    attributes = dead["MessageAttributes"]
    assert dead["Body"] == body
    assert "source" in attributes[REASON_ATTRIBUTE]["StringValue"]
    size = len(body.encode()) + sum(
        len(name) + len(value["DataType"]) + len(value["StringValue"].encode()) for name, value in attributes.items()
    )
    assert size <= MAX_MESSAGE_BYTES


def test_a_multipart_copy_that_fails_half_way_leaves_no_upload_open_and_completes_on_retry(stack, monkeypatch):
    # Given a 12 MiB model copied in 5 MiB parts, and S3 failing the second part
    monkeypatch.setenv("GOVSYNC_COPY_THRESHOLD_MIB", "5")
    monkeypatch.setenv("GOVSYNC_COPY_PART_MIB", "5")
    monkeypatch.setenv("GOVSYNC_COPY_CONCURRENCY", "1")
    wiring.reset()
    key = "fraud-detector/big/model.tar.gz"
    stack.s3.put_object(Bucket=DEV_BUCKET, Key=key, Body=bytes(range(256)) * (12 * MIB // 256))
    register(stack.sagemaker, InferenceSpecification={
        "Containers": [{"Image": "img:1", "ModelDataUrl": f"s3://{DEV_BUCKET}/{key}"}],
        "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]})  # fmt: skip
    original = botocore.client.BaseClient._make_api_call
    parts = {"n": 0}

    def crash(self, operation_name, api_params):
        if operation_name == "UploadPartCopy":
            parts["n"] += 1
            if parts["n"] == 2:
                raise ClientError({"Error": {"Code": "InternalError", "Message": "We encountered an internal error"}},
                                  operation_name)  # fmt: skip
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", crash)
    # When the version is synced, the copy fails: the message is retried, nothing recorded
    with pytest.raises(BatchProcessingError):
        stack.invoke(load_event("model-package-created"))
    assert records(1) == {}
    # Then no multipart upload is left open in the central bucket
    assert stack.s3.list_multipart_uploads(Bucket=CENTRAL_BUCKET).get("Uploads", []) == []
    # And the retry completes the copy
    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", original)
    assert stack.invoke(load_event("model-package-created"), receive_count=2) == {"batchItemFailures": []}
    (artifact,) = records(1)["development"].artifacts
    assert artifact.status == "copied" and artifact.size == 12 * MIB


def test_a_registry_change_of_no_governance_fact_writes_no_audit_entry(stack):
    # Given an approved, synced version
    arn = register(stack.sagemaker)
    approve(stack, arn)
    entries = audit()
    head = wiring.governance_store().load_version(GROUP, 1).head
    # When it is approved again (LastModifiedTime moves, nothing else) and the event arrives
    stack.sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    assert stack.invoke(event_for(arn)) == {"batchItemFailures": []}
    # Then the head's mark moved, and no audit entry was written: the chain is as it was
    after = wiring.governance_store().load_version(GROUP, 1).head
    assert after.source_version > head.source_version
    assert (after.audit_seq, after.audit_head) == (head.audit_seq, head.audit_head)
    assert audit() == entries
    # And the record's source time follows the registry
    assert records(1)["development"].registry_last_modified > entries[-1].source_time
