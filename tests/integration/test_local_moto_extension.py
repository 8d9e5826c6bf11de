"""The local stack's moto extension: SageMaker behaviour moto lacks, and the events it emits."""

import json

import boto3
import pytest
from moto import mock_aws

from govsync_local import motoext
from govsync_local.emitter import SageMakerEventEmitter

SPEC = {
    "Containers": [{"Image": "img"}],
    "SupportedContentTypes": ["text/csv"],
    "SupportedResponseMIMETypes": ["text/csv"],
}


@pytest.fixture
def aws():
    motoext.install()
    emitter = SageMakerEventEmitter()
    motoext.on_model_package_change(emitter.model_package_changed)
    motoext.on_endpoint_change(emitter.endpoint_changed)
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        queue = sqs.create_queue(QueueName="events")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events = boto3.client("events", region_name="us-east-1")
        events.put_rule(Name="all-sagemaker", EventPattern=json.dumps({"source": ["aws.sagemaker"]}))
        events.put_targets(Rule="all-sagemaker", Targets=[{"Id": "q", "Arn": arn}])
        yield boto3.client("sagemaker", region_name="us-east-1"), sqs, queue
    motoext.clear_listeners()


def delivered(sqs, queue) -> list[dict]:
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def test_update_keeps_metadata_and_adds_lifecycle_and_card(aws):
    sagemaker, _, _ = aws
    sagemaker.create_model_package_group(ModelPackageGroupName="g")
    arn = sagemaker.create_model_package(
        ModelPackageGroupName="g", InferenceSpecification=SPEC, ModelApprovalStatus="PendingManualApproval",
        CustomerMetadataProperties={"A": "1", "B": "2"},
    )["ModelPackageArn"]  # fmt: skip
    sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    sagemaker.update_model_package(
        ModelPackageArn=arn,
        CustomerMetadataProperties={"C": "3"},
        CustomerMetadataPropertiesToRemove=["A"],
        ModelLifeCycle={"Stage": "Staging", "StageStatus": "Approved"},
        ModelCard={"ModelCardContent": "{}", "ModelCardStatus": "Draft"},
    )
    described = sagemaker.describe_model_package(ModelPackageName=arn)
    assert described["ModelApprovalStatus"] == "Approved"
    assert described["CustomerMetadataProperties"] == {"B": "2", "C": "3"}
    assert described["ModelLifeCycle"] == {"Stage": "Staging", "StageStatus": "Approved"}
    assert described["ModelCard"]["ModelCardStatus"] == "Draft"
    assert described["LastModifiedBy"]["IamIdentity"]["Arn"].startswith("arn:aws:")


def test_package_changes_emit_state_change_events_with_account(aws):
    sagemaker, sqs, queue = aws
    sagemaker.create_model_package_group(ModelPackageGroupName="g")
    arn = sagemaker.create_model_package(ModelPackageGroupName="g", InferenceSpecification=SPEC)["ModelPackageArn"]
    sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    events = delivered(sqs, queue)
    assert [e["detail-type"] for e in events] == ["SageMaker Model Package State Change"] * 2
    assert {e["account"] for e in events} == {"111111111111"}
    assert events[1]["detail"]["ModelApprovalStatus"] == "Approved"
    assert events[1]["detail"]["ModelPackageArn"] == arn
    assert isinstance(events[1]["detail"]["CreationTime"], int)  # epoch milliseconds, as SageMaker sends


def test_endpoint_creation_emits_creating_then_in_service_with_tags(aws):
    sagemaker, sqs, queue = aws
    sagemaker.create_model(ModelName="m", ExecutionRoleArn="arn:aws:iam::111111111111:role/r",
                           PrimaryContainer={"Image": "img"})  # fmt: skip
    sagemaker.create_endpoint_config(
        EndpointConfigName="c",
        ProductionVariants=[{"VariantName": "v", "ModelName": "m", "InitialInstanceCount": 1,
                             "InstanceType": "ml.m5.large"}],
    )  # fmt: skip
    sagemaker.create_endpoint(
        EndpointName="e", EndpointConfigName="c", Tags=[{"Key": "govsync:stage", "Value": "test"}]
    )
    events = delivered(sqs, queue)
    assert [e["detail"]["EndpointStatus"] for e in events] == ["CREATING", "IN_SERVICE"]
    assert events[1]["detail-type"] == "SageMaker Endpoint State Change"
    assert events[1]["detail"]["Tags"] == {"govsync:stage": "test"}
