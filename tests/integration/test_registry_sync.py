"""RegistrySyncFunction on events/*.json against moto, with the template's tables and environment."""

import json
import uuid

import botocore.client
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from botocore.exceptions import ClientError

from govsync import wiring
from govsync.adapters.sqs import REASON_ATTRIBUTE
from govsync.domain.audit import verify_chain

from .conftest import GROUP, load_event, register


def records(version: int = 1) -> dict:
    return wiring.governance_store().load_version(GROUP, version).records


def audit(version: int = 1) -> list:
    return wiring.governance_store().audit_entries(GROUP, version)


def created_event_for_version(version: int) -> dict:
    """The "created" event of events/, re-aimed at another version of the same group, with its own id."""
    event = load_event("model-package-created")
    event["id"] = str(uuid.uuid4())
    event["detail"]["ModelPackageArn"] = event["detail"]["ModelPackageArn"].rsplit("/", 1)[0] + f"/{version}"
    event["detail"]["ModelPackageVersion"] = version
    return event


def test_new_version_gets_a_pending_development_record_and_one_audit_entry(stack):
    # Given a registered version
    register(stack.sagemaker)
    # When its "created" event arrives
    result = stack.invoke(load_event("model-package-created"))
    # Then a development record is pending, attributed, complete; one audit entry
    assert result == {"batchItemFailures": []}
    record = records()["development"]
    assert (record.model_status, record.model_owner, record.use_case_id) == ("pending", "alice", "uc-fraud")
    assert record.metadata_complete is True and record.metadata_missing == ()
    assert record.model_package_arn.endswith("model-package/fraud-detector/1")
    entries = audit()
    assert len(entries) == 1
    assert entries[0].changes["development"]["model_status"] == [None, "pending"]
    assert entries[0].event_id == load_event("model-package-created")["id"]


def test_approval_updates_the_record_and_chains_the_audit(stack):
    arn = register(stack.sagemaker)
    stack.invoke(load_event("model-package-created"))
    # When the version is approved and the approved event arrives
    stack.sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    stack.invoke(load_event("model-package-approved"))
    # Then the record is approved and the audit chain has two verified entries
    assert records()["development"].model_status == "approved"
    entries = audit()
    assert [e.seq for e in entries] == [1, 2]
    assert entries[1].changes["development"]["model_status"] == ["pending", "approved"]
    head = wiring.governance_store().load_version(GROUP, 1).head
    assert verify_chain(entries, int(head.audit_seq), head.audit_head).ok


def test_duplicate_delivery_writes_once(stack):
    register(stack.sagemaker)
    event = load_event("model-package-created")
    # When the same event is delivered twice in one batch and once more later
    stack.invoke(event, event)
    stack.calls.clear()
    stack.invoke(event)
    # Then one record, one audit entry; the late duplicate made no write at all
    assert len(records()) == 1 and len(audit()) == 1
    assert "dynamodb:TransactWriteItems" not in stack.aws_calls()


def test_reordered_approve_then_pending_ends_approved(stack):
    arn = register(stack.sagemaker)
    stack.sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    # When the approved event arrives before the created (pending) one
    stack.invoke(load_event("model-package-approved"))
    stack.invoke(load_event("model-package-created"))
    # Then the registry's truth wins: approved, recorded once
    assert records()["development"].model_status == "approved"
    assert len(audit()) == 1


def test_lifecycle_stage_maps_onto_the_test_record(stack):
    arn = register(stack.sagemaker)
    stack.sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    stack.sagemaker.update_model_package(
        ModelPackageArn=arn,
        ModelLifeCycle={"Stage": "Staging", "StageStatus": "Approved", "StageDescription": "Validated in test"},
    )
    stack.invoke(load_event("model-package-lifecycle-staging-approved"))
    current = records()
    assert current["development"].model_status == "approved"
    assert current["test"].model_status == "approved"
    assert current["test"].stage_description == "Validated in test"


def test_missing_metadata_is_flagged_and_group_tags_fill_gaps(stack):
    # Given a group tagged with a project and a version carrying only its owner
    group_arn = stack.sagemaker.describe_model_package_group(ModelPackageGroupName=GROUP)["ModelPackageGroupArn"]
    stack.sagemaker.add_tags(ResourceArn=group_arn, Tags=[{"Key": "ModelProject", "Value": "from-tags"}])
    register(stack.sagemaker, metadata={"ModelOwner": "alice"})
    # When synced
    assert stack.invoke(load_event("model-package-created")) == {"batchItemFailures": []}
    # Then the record is written, flagged incomplete, naming the missing keys
    record = records()["development"]
    assert record.metadata_complete is False
    assert set(record.metadata_missing) == {"UseCaseId", "UseCaseName", "UseCaseStage", "ModelLoB", "ModelRisk"}
    assert record.model_project == "from-tags" and record.model_owner == "alice"


def test_poison_message_in_the_middle_of_a_batch_fails_alone(stack):
    register(stack.sagemaker)
    register(stack.sagemaker)
    first, second = load_event("model-package-created"), created_event_for_version(2)
    # When a batch holds a good event, an unparseable one, and another good one
    result = stack.invoke(first, "{not json", second)
    # Then both good events are synced and the poison is dead-lettered with its reason
    assert result == {"batchItemFailures": []}
    assert records(1) and records(2)
    (dead,) = stack.dead_letters()
    assert dead["Body"] == "{not json"
    assert "malformed event" in dead["MessageAttributes"][REASON_ATTRIBUTE]["StringValue"]


MALICIOUS = {
    "foreign source": {"source": "aws.s3"},
    "foreign detail-type": {"detail-type": "AWS API Call via CloudTrail"},
    "account not allowed": {"account": "999999999999"},
    "region not allowed": {"region": "eu-west-1"},
    "group name injection": {"detail": {"ModelPackageGroupName": "fraud-detector/../../x"}},
    "group name with control character": {"detail": {"ModelPackageGroupName": "fraud\u0000detector"}},
    "malformed ARN": {"detail": {"ModelPackageArn": "arn:aws:sagemaker:us-east-1:111111111111:model-package/x"}},
    "ARN in another account": {
        "detail": {"ModelPackageArn": "arn:aws:sagemaker:us-east-1:999999999999:model-package/fraud-detector/1"}
    },
    "ARN of another group": {
        "detail": {"ModelPackageArn": "arn:aws:sagemaker:us-east-1:111111111111:model-package/other/1"}
    },
    "missing detail": {"detail": None},
}


@pytest.mark.parametrize("case", sorted(MALICIOUS))
def test_malicious_detail_is_dead_lettered_before_any_aws_call(stack, case):
    event = load_event("model-package-created")
    for key, value in MALICIOUS[case].items():
        if key == "detail" and value is not None:
            event["detail"].update(value)
        else:
            event[key] = value
    # When the event is processed
    result = stack.invoke(event)
    # Then no SageMaker or DynamoDB call was made, and it sits in the DLQ with a reason
    assert result == {"batchItemFailures": []}
    assert stack.aws_calls("sagemaker", "dynamodb") == []
    (dead,) = stack.dead_letters()
    assert json.loads(dead["Body"])["id"] == event["id"]
    assert dead["MessageAttributes"][REASON_ATTRIBUTE]["StringValue"]


def test_deleted_package_is_dead_lettered(stack):
    # Given an event for a version the registry does not hold
    result = stack.invoke(load_event("model-package-created"))
    assert result == {"batchItemFailures": []}
    (dead,) = stack.dead_letters()
    assert "does not exist" in dead["MessageAttributes"][REASON_ATTRIBUTE]["StringValue"]
    assert records() == {}


def test_throttled_transaction_is_retried_not_lost(stack, monkeypatch):
    register(stack.sagemaker)
    event = load_event("model-package-created")
    original = botocore.client.BaseClient._make_api_call
    throttled = {"n": 0}

    def throttle(self, operation_name, api_params):
        if operation_name == "TransactWriteItems":
            throttled["n"] += 1
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, operation_name)
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", throttle)
    # When the transaction is throttled (a one-message batch: the whole invocation fails)
    with pytest.raises(BatchProcessingError):
        stack.invoke(event)
    # Then SQS keeps the message for redelivery and nothing was half-written
    assert throttled["n"] >= 1
    assert records() == {} and audit() == []
    assert stack.dead_letters() == []
    # And when it is redelivered after the throttling passes, it is synced
    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", original)
    assert stack.invoke(event) == {"batchItemFailures": []}
    assert records()["development"].model_status == "pending"


def test_throttled_registry_read_fails_only_that_message(stack, monkeypatch):
    register(stack.sagemaker)
    register(stack.sagemaker)
    first, second = load_event("model-package-created"), created_event_for_version(2)
    original = botocore.client.BaseClient._make_api_call

    def flaky(self, operation_name, api_params):
        if operation_name == "DescribeModelPackage" and api_params["ModelPackageName"].endswith("/2"):
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, operation_name)
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", flaky)
    result = stack.invoke(first, second)
    assert len(result["batchItemFailures"]) == 1
    assert records(1) and not records(2)


def emitted_metrics(stdout: str) -> dict[str, float]:
    """The metric values in the Embedded Metric Format blobs a function printed."""
    values: dict[str, float] = {}
    for line in stdout.splitlines():
        if '"_aws"' in line:
            blob = json.loads(line)
            for metric in blob["_aws"]["CloudWatchMetrics"][0]["Metrics"]:
                value = blob[metric["Name"]]
                values[metric["Name"]] = values.get(metric["Name"], 0) + sum(
                    value if isinstance(value, list) else [value]
                )
    return values


def test_a_missing_table_is_a_configuration_error_kept_for_redrive(stack, monkeypatch, capsys, caplog):
    # Given the function pointed at a table that does not exist
    register(stack.sagemaker)
    event = load_event("model-package-created")
    monkeypatch.setenv("GOVSYNC_TABLE", "govsync-no-such-table")
    wiring.reset()
    stack.calls.clear()
    # When an event arrives
    result = stack.invoke(event)
    # Then it is not retried (retrying cannot create the table): it waits in the DLQ with a reason
    # naming the table and the action, an error log says so, and ConfigurationErrors counts it
    assert result == {"batchItemFailures": []}
    (dead,) = stack.dead_letters()
    assert json.loads(dead["Body"]) == event
    reason = dead["MessageAttributes"][REASON_ATTRIBUTE]["StringValue"]
    assert reason.startswith("configuration error:") and "govsync-no-such-table" in reason
    assert "ResourceNotFoundException" in reason and "Query version fraud-detector/1" in reason
    (error,) = [r for r in caplog.records if r.levelname == "ERROR"]
    assert error.getMessage().startswith("configuration error: message kept in the dead-letter queue")
    assert "govsync-no-such-table" in error.resource and error.error_code == "ResourceNotFoundException"
    assert error.action == "Query version fraud-detector/1"
    assert not any("Retryable" in r.getMessage() or "retried" in r.getMessage() for r in caplog.records)
    assert emitted_metrics(capsys.readouterr().out).get("ConfigurationErrors") == 1
    assert stack.calls[("dynamodb", "Query")] == 1  # asked once, not five times
    # And once the table is configured again, the redriven message syncs
    monkeypatch.setenv("GOVSYNC_TABLE", stack.table)
    wiring.reset()
    assert stack.invoke(dead["Body"]) == {"batchItemFailures": []}
    assert records()["development"].model_status == "pending"


def test_a_denied_registry_read_is_a_configuration_error(stack, monkeypatch, capsys):
    register(stack.sagemaker)
    original = botocore.client.BaseClient._make_api_call

    def denied(self, operation_name, api_params):
        if operation_name == "DescribeModelPackage":
            raise ClientError(
                {"Error": {"Code": "AccessDeniedException", "Message": "not authorized to perform"},
                 "ResponseMetadata": {"HTTPStatusCode": 400}}, operation_name,
            )  # fmt: skip
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", denied)
    assert stack.invoke(load_event("model-package-created")) == {"batchItemFailures": []}
    (dead,) = stack.dead_letters()
    reason = dead["MessageAttributes"][REASON_ATTRIBUTE]["StringValue"]
    assert reason.startswith("configuration error:") and "AccessDeniedException" in reason
    assert "DescribeModelPackage" in reason and "fraud-detector/1" in reason
    assert emitted_metrics(capsys.readouterr().out).get("ConfigurationErrors") == 1
    assert records() == {}
