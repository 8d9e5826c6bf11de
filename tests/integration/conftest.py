"""Handlers against moto: tables and queues from template.yaml, environment from the template."""

from __future__ import annotations

import functools
import json
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import botocore.client
import pytest
from moto import mock_aws

from govsync import wiring
from govsync_local import invoke, motoext
from govsync_local import template as tpl
from govsync_local.emitter import ENDPOINT_STATE_CHANGE, delivered_event, endpoint_detail

from ..unit.helpers import FULL_METADATA

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"
CENTRAL = "111111111111"
REGION = "us-east-1"
GROUP = "fraud-detector"
DEV_BUCKET = "dev-models-111111111111"
MODEL_KEY = "fraud-detector/train-1/output/model.tar.gz"
MODEL_URI = f"s3://{DEV_BUCKET}/{MODEL_KEY}"
CENTRAL_BUCKET = f"govsync-artifacts-{CENTRAL}-{REGION}"
ANCHOR_BUCKET = f"govsync-anchors-{CENTRAL}-{REGION}"
ANCHOR_LOG_GROUP = "/govsync/govsync/anchors"
TEST_ACCOUNT = "333333333333"
PROD_ACCOUNT = "444444444444"
APP_CLIENT = "4tq8integrationclient"
WEBHOOK_SECRET = "integration-webhook-secret-0123456789abcdef"
STAGE_TARGETS = {
    "test": {"account": TEST_ACCOUNT, "instance_type": "ml.m5.large"},
    "production": {"account": PROD_ACCOUNT, "instance_type": "ml.m5.xlarge", "instance_count": 2},
}

motoext.install()


@dataclass
class Stack:
    table: str
    dead_letter_queue_url: str
    handler: Any
    sagemaker: Any
    sqs: Any
    calls: Counter
    s3: Any
    key_arn: str
    ctx: Any = None
    monkeypatch: Any = None
    queues: dict[str, str] | None = None
    endpoint_changes: list | None = None

    def invoke(self, *bodies: str | dict, receive_count: int = 1) -> dict:
        """Run the registry sync function on one SQS batch, as Lambda's event source mapping would."""
        return self.invoke_function("RegistrySyncFunction", *bodies, receive_count=receive_count)

    def invoke_function(self, logical_id: str, *bodies: str | dict, receive_count: int = 1) -> dict:
        """Run a function of the template on one SQS batch, with that function's environment."""
        if logical_id != self.current:
            use_function_environment(self.monkeypatch, logical_id, self.ctx)
            self.current = logical_id
        records = []
        for body in bodies:
            text = body if isinstance(body, str) else json.dumps(body)
            records.append(
                {
                    "messageId": str(uuid.uuid4()),
                    "receiptHandle": "handle",
                    "body": text,
                    "attributes": {"ApproximateReceiveCount": str(receive_count)},
                    "messageAttributes": {},
                    "md5OfBody": "",
                    "eventSource": "aws:sqs",
                    "eventSourceARN": f"arn:aws:sqs:{REGION}:{CENTRAL}:queue",
                    "awsRegion": REGION,
                }
            )
        handler, context = load_handler(logical_id)
        return handler({"Records": records}, context)

    current: str = "RegistrySyncFunction"

    def invoke_job(self, logical_id: str, event: dict | None = None) -> dict:
        """Run a scheduled function as EventBridge Scheduler would, with the schedule's input: it plans
        the run onto its work queue; then its work items, as the queue's event source hands them to it,
        until the queue is empty. Returns the run's summary, as the part that finished it wrote it."""
        planned = self.plan_job(logical_id, event)
        self.work_items_handled = 0
        while bodies := self.drain(WORK_QUEUES[logical_id]):
            for body in bodies:
                answer = self.invoke_function(logical_id, body)
                assert answer == {"batchItemFailures": []}, answer
                self.work_items_handled += 1
        state = wiring.fanout().runs.state(planned["job"], planned["run_id"])
        assert state.complete and state.summary is not None, state
        return state.summary

    work_items_handled: int = 0

    def plan_job(self, logical_id: str, event: dict | None = None) -> dict:
        """The scheduled function on its schedule's input: the run planned onto its work queue."""
        if logical_id != self.current:
            use_function_environment(self.monkeypatch, logical_id, self.ctx)
            self.current = logical_id
        handler, context = load_handler(logical_id)
        return handler(event if event is not None else {"job": "test"}, context)

    def configure(self, **parameters: str) -> None:
        """Change template parameters; functions pick them up at their next invocation."""
        self.ctx.parameters.update(parameters)
        self.current = ""

    def drain(self, queue: str) -> list[str]:
        """Receive what waits on one of the stack's queues (and delete it)."""
        bodies = []
        while True:
            messages = self.sqs.receive_message(QueueUrl=self.queues[queue], MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return bodies
            for message in messages:
                bodies.append(message["Body"])
                self.sqs.delete_message(QueueUrl=self.queues[queue], ReceiptHandle=message["ReceiptHandle"])

    def run_deployments(self, rounds: int = 4) -> list[dict]:
        """Play the deploy and deployment status functions until their queues are empty: deploy
        requests to the deploy function, endpoint state changes (as EventBridge delivers them from
        the stage accounts) to the status function."""
        results = []
        for _ in range(rounds):
            requests = self.drain("DeployRequestsQueue")
            if requests:
                results.append(self.invoke_function("DeployFunction", *requests))
            changes, self.endpoint_changes[:] = list(self.endpoint_changes), []
            if changes:
                results.append(self.invoke_function("DeploymentStatusFunction", *changes))
            if not requests and not changes:
                break
        return results

    def dead_letters(self) -> list[dict]:
        messages = self.sqs.receive_message(
            QueueUrl=self.dead_letter_queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        ).get("Messages", [])
        return messages

    def notifications(self) -> list[dict]:
        """What the notifications topic said since the last call, as its subscribers read it."""
        return [json.loads(body) for body in self.drain("NotificationsQueue")]

    def aws_calls(self, *services: str) -> list[str]:
        return [f"{s}:{op}" for (s, op), n in self.calls.items() for _ in range(n) if not services or s in services]


def load_handler(logical_id: str) -> Any:
    spec = tpl.function_specs(tpl.load())[logical_id]
    return invoke.load_handler(spec), invoke.LocalContext(spec)


def load_event(name: str) -> dict:
    return json.loads((EVENTS / f"{name}.json").read_text())


@pytest.fixture
def call_counter(monkeypatch) -> Counter:
    """Counts every AWS API call made through botocore (boto3 and PynamoDB alike)."""
    calls: Counter = Counter()
    original = botocore.client.BaseClient._make_api_call

    def counting(self, operation_name, api_params):
        calls[(self.meta.service_model.service_name, operation_name)] += 1
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", counting)
    return calls


WORK_QUEUES = {"ReconcilerFunction": "ReconcileWorkQueue", "MetricsAggregatorFunction": "MetricsWorkQueue"}


def use_function_environment(monkeypatch, logical_id: str, ctx: Any) -> None:
    spec = tpl.function_specs(tpl.load())[logical_id]
    for name, value in tpl.function_environment(spec, ctx).items():
        monkeypatch.setenv(name, value)
    wiring.reset()


def endpoint_event(endpoint: dict, status: str, account: str, region: str = REGION) -> dict:
    """A "SageMaker Endpoint State Change" as the central bus delivers it, forwarded from `account`."""
    return delivered_event(ENDPOINT_STATE_CHANGE, endpoint_detail(endpoint, status), account=account, region=region,
                           resources=[endpoint.get("EndpointArn")])  # fmt: skip


@functools.cache
def local_cfn() -> dict:
    """template.yaml through the SAM transform, Lambda resources left to the test (once per session)."""
    return tpl.without_lambda(tpl.transformed(tpl.load(), REGION))


@pytest.fixture
def stack(monkeypatch, call_counter) -> Iterator[Stack]:
    with mock_aws():
        template = tpl.load()
        cfn = local_cfn()
        ddb = boto3.client("dynamodb", region_name=REGION)
        table = "govsync-GovernanceTable-TEST"
        for args in tpl.table_definitions(cfn).values():
            ddb.create_table(TableName=table, **args)
        sqs = boto3.client("sqs", region_name=REGION)
        dlq = sqs.create_queue(QueueName="govsync-RegistryEventsDLQ-TEST")["QueueUrl"]
        queues = {
            name: sqs.create_queue(QueueName=f"govsync-{name}-TEST")["QueueUrl"]
            for name in (
                "DeployRequestsQueue",
                "DeployRequestsDLQ",
                "EndpointEventsQueue",  # the status function's own: an update under way is read again later
                "EndpointEventsDLQ",
                "ScheduledJobsDLQ",
                "ReconcileWorkQueue",
                "MetricsWorkQueue",
                "NotificationsDLQ",
            )
        }
        queues["RegistryEventsDLQ"] = dlq
        # the notifications topic, a queue subscribed to it (raw messages) for the tests to read
        topic = boto3.client("sns", region_name=REGION).create_topic(Name="govsync-AlarmTopic-TEST")["TopicArn"]
        queues["NotificationsQueue"] = sqs.create_queue(QueueName="govsync-notifications-TEST")["QueueUrl"]
        heard = sqs.get_queue_attributes(QueueUrl=queues["NotificationsQueue"], AttributeNames=["QueueArn"])
        boto3.client("sns", region_name=REGION).subscribe(
            TopicArn=topic, Protocol="sqs", Endpoint=heard["Attributes"]["QueueArn"],
            Attributes={"RawMessageDelivery": "true"},
        )  # fmt: skip
        key_arn = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=CENTRAL_BUCKET)
        s3.put_bucket_versioning(Bucket=CENTRAL_BUCKET, VersioningConfiguration={"Status": "Enabled"})
        # the anchors' bucket as the template makes it: Object Lock, compliance mode
        s3.create_bucket(Bucket=ANCHOR_BUCKET, ObjectLockEnabledForBucket=True)
        lock = {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Years": 10}}}
        s3.put_object_lock_configuration(Bucket=ANCHOR_BUCKET, ObjectLockConfiguration=lock)
        boto3.client("logs", region_name=REGION).create_log_group(logGroupName=ANCHOR_LOG_GROUP)
        s3.create_bucket(Bucket=DEV_BUCKET)
        s3.put_object(
            Bucket=DEV_BUCKET,
            Key=MODEL_KEY,
            Body=b"model bytes" * 1000,
            ContentType="application/x-gzip",
            Metadata={"training-job": "train-1"},
        )
        ctx = tpl.Context(
            template=template,
            account_id=CENTRAL,
            region=REGION,
            parameters={
                "AllowedArtifactBuckets": DEV_BUCKET,
                "StageTargets": json.dumps(STAGE_TARGETS),
                "DeployAccounts": f"{TEST_ACCOUNT},{PROD_ACCOUNT}",
                # the tests hand the API claims, not tokens; the MFA test of test_governance_api turns it on
                "DeciderMfa": "optional",
            },
            # (the API's app client: no test signs in; the pool is where DeciderMfa looks people up)
            refs={
                "GovernanceTable": table,
                "ArtifactBucket": CENTRAL_BUCKET,
                "AnchorBucket": ANCHOR_BUCKET,
                "AnchorLogGroup": ANCHOR_LOG_GROUP,
                "AlarmTopic": topic,
                "WebhookSecret": boto3.client("secretsmanager", region_name=REGION).create_secret(
                    Name="govsync-WebhookSecret-TEST", SecretString=WEBHOOK_SECRET
                )["ARN"],
                "UserPoolClient": APP_CLIENT,
                "UserPool": boto3.client("cognito-idp", region_name=REGION).create_user_pool(PoolName="people")[
                    "UserPool"
                ]["Id"],
                **queues,
            },
            attributes={("GovernanceKey", "Arn"): key_arn},
        )
        use_function_environment(monkeypatch, "RegistrySyncFunction", ctx)
        sagemaker = boto3.client("sagemaker", region_name=REGION)
        sagemaker.create_model_package_group(ModelPackageGroupName=GROUP)
        _REGISTRANTS[id(sagemaker)] = as_registrant(sagemaker)
        changes: list[dict] = []
        motoext.on_endpoint_change(lambda endpoint, status, account, region: changes.append(
            endpoint_event(endpoint, status, account, region)))  # fmt: skip
        call_counter.clear()
        yield Stack(
            table,
            dlq,
            load_handler("RegistrySyncFunction"),
            sagemaker,
            sqs,
            call_counter,
            s3,
            key_arn,
            ctx=ctx,
            monkeypatch=monkeypatch,
            queues=queues,
            endpoint_changes=changes,
        )
        motoext.clear_listeners()
        _REGISTRANTS.clear()
        wiring.reset()


# who registers versions: a data scientist's role, never the identity that approves them
REGISTRANT_ROLE = f"arn:aws:iam::{CENTRAL}:role/DataScientist"
REGISTRANT = f"arn:aws:sts::{CENTRAL}:assumed-role/DataScientist/alice"


# the stack's SageMaker client (the approver) -> a client of the data scientist's, made with the stack
_REGISTRANTS: dict[int, Any] = {}


def as_registrant(sagemaker) -> Any:
    """A SageMaker client like `sagemaker`, signed as the data scientist (REGISTRANT)."""
    sts = boto3.client("sts", region_name=sagemaker.meta.region_name)
    creds = sts.assume_role(RoleArn=REGISTRANT_ROLE, RoleSessionName="alice")["Credentials"]
    keys = {"aws_access_key_id": creds["AccessKeyId"], "aws_secret_access_key": creds["SecretAccessKey"],
            "aws_session_token": creds["SessionToken"]}  # fmt: skip
    return boto3.client("sagemaker", region_name=sagemaker.meta.region_name, **keys)


def registrant_client(stack: Stack) -> Any:
    """The data scientist's SageMaker client: she registered the stack's versions."""
    return _REGISTRANTS[id(stack.sagemaker)]


def register(sagemaker, group: str = GROUP, metadata: dict | None = None, **extra) -> str:
    """create_model_package as the SageMaker guide "Register a Model Version" does, as the data scientist
        (the tests' default identity, a person of the central account, approves: separation of duties); with
    another client (a dev account's), as that client's identity."""
    spec = extra.pop(
        "InferenceSpecification",
        {
            "Containers": [
                {
                    "Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/xgb:1.7-1",
                    "ModelDataUrl": MODEL_URI,
                }
            ],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    )
    return _REGISTRANTS.get(id(sagemaker), sagemaker).create_model_package(
        ModelPackageGroupName=group,
        ModelPackageDescription="Fraud detector",
        ModelApprovalStatus="PendingManualApproval",
        InferenceSpecification=spec,
        CustomerMetadataProperties=FULL_METADATA if metadata is None else metadata,
        **extra,
    )["ModelPackageArn"]
