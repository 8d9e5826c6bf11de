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

    def invoke(self, *bodies: str | dict, receive_count: int = 1) -> dict:
        """Run the function on one SQS batch, as Lambda's event source mapping would."""
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
        handler, context = self.handler
        return handler({"Records": records}, context)

    def dead_letters(self) -> list[dict]:
        messages = self.sqs.receive_message(
            QueueUrl=self.dead_letter_queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        ).get("Messages", [])
        return messages

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
        key_arn = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=CENTRAL_BUCKET)
        s3.put_bucket_versioning(Bucket=CENTRAL_BUCKET, VersioningConfiguration={"Status": "Enabled"})
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
            parameters={"AllowedArtifactBuckets": DEV_BUCKET},
            refs={"GovernanceTable": table, "RegistryEventsDLQ": dlq, "ArtifactBucket": CENTRAL_BUCKET},
            attributes={("GovernanceKey", "Arn"): key_arn},
        )
        spec = tpl.function_specs(template)["RegistrySyncFunction"]
        for name, value in tpl.function_environment(spec, ctx).items():
            monkeypatch.setenv(name, value)
        wiring.reset()
        sagemaker = boto3.client("sagemaker", region_name=REGION)
        sagemaker.create_model_package_group(ModelPackageGroupName=GROUP)
        call_counter.clear()
        yield Stack(table, dlq, load_handler("RegistrySyncFunction"), sagemaker, sqs, call_counter, s3, key_arn)
        wiring.reset()


def register(sagemaker, group: str = GROUP, metadata: dict | None = None, **extra) -> str:
    """create_model_package as seed 000 does."""
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
    return sagemaker.create_model_package(
        ModelPackageGroupName=group,
        ModelPackageDescription="Fraud detector",
        ModelApprovalStatus="PendingManualApproval",
        InferenceSpecification=spec,
        CustomerMetadataProperties=FULL_METADATA if metadata is None else metadata,
        **extra,
    )["ModelPackageArn"]
