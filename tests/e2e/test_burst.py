"""A burst through the local stack, as a pipeline makes one: many versions over many groups registered
and decided close together, approvals repeated, quick Approved -> Rejected -> Approved flips, and an
old pending version approved back to back with a new one; every SageMaker event delivered twice.
When it has drained, every endpoint serves the newest version the registry approves for its stage,
the records say so, every audit chain verifies and nothing is dead-lettered."""

import json
import os
import time

import boto3
import pytest

from .conftest import wait_until
from .test_local_stack import METADATA, SPEC, new_group

pytestmark = pytest.mark.e2e

# make test: 6 groups x 14 versions; make bench runs 10 x 20 (the patterns below need 6 or more versions)
GROUPS = int(os.environ.get("GOVSYNC_BURST_GROUPS", "6"))
VERSIONS = int(os.environ.get("GOVSYNC_BURST_VERSIONS", "14"))


def in_account(local, service: str, account: str):
    sts = local.client("sts")
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/inspect", RoleSessionName="burst")["Credentials"]
    return boto3.client(service, region_name="us-east-1", endpoint_url=local.endpoint,
                        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds["SessionToken"])  # fmt: skip


def queue_depths(local) -> int:
    sqs = local.client("sqs")
    total = 0
    for queues in local.info["queues"].values():
        attributes = sqs.get_queue_attributes(
            QueueUrl=queues["queue_url"],
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        total += sum(int(v) for v in attributes.values())
    return total


def dead_lettered(local) -> list[str]:
    sqs = local.client("sqs")
    found = []
    for function, queues in local.info["queues"].items():
        answer = sqs.receive_message(QueueUrl=queues["dlq_url"], MaxNumberOfMessages=10, MessageAttributeNames=["All"])
        found += [f"{function}: {m['Body'][:200]} {m.get('MessageAttributes')}" for m in answer.get("Messages", [])]
    return found


def test_a_burst_ends_with_every_endpoint_on_the_newest_approved_version(local):
    sagemaker = local.client("sagemaker")
    s3, dev_bucket = local.client("s3"), local.info["dev_bucket"]
    s3.put_object(Bucket=dev_bucket, Key="burst/model.tar.gz", Body=b"weights")
    spec = {**SPEC, "Containers": [{**SPEC["Containers"][0], "ModelDataUrl": f"s3://{dev_bucket}/burst/model.tar.gz"}],
            "SupportedRealtimeInferenceInstanceTypes": ["ml.m5.large"]}  # fmt: skip
    groups = [new_group(local) for _ in range(GROUPS)]
    started = time.monotonic()
    decisions = 0

    registrant = local.registrant()  # registers; `sagemaker` decides (another person)

    def create(group: str) -> str:
        return registrant.create_model_package(ModelPackageGroupName=group, InferenceSpecification=spec,
                                              ModelApprovalStatus="PendingManualApproval",
                                              CustomerMetadataProperties=METADATA)["ModelPackageArn"]  # fmt: skip

    def decide(arn: str, **change) -> None:
        nonlocal decisions
        sagemaker.update_model_package(ModelPackageArn=arn, **change)
        decisions += 1

    # Given, per group: versions registered while earlier ones are still syncing, approvals among them
    for index, group in enumerate(groups):
        arns = [create(group) for _ in range(VERSIONS - 2)]
        for n, arn in enumerate(arns):
            if n % 3 == 1:
                decide(arn, ModelApprovalStatus="Approved")
            if n % 6 == 4:
                decide(arn, ModelApprovalStatus="Approved")  # a repeated approval
        # a quick Approved -> Rejected -> Approved flip of the newest approved version
        flipped = arns[-2] if (VERSIONS - 3) % 3 != 1 else arns[-1]
        for status in ("Approved", "Rejected", "Approved"):
            decide(flipped, ModelApprovalStatus=status)
        # an old pending version and a new one, approved back to back
        old, new = arns[-1], create(group)
        decide(old, ModelApprovalStatus="Approved")
        decide(new, ModelApprovalStatus="Approved")
        # the last one registered, rejected at once; one group's newest approved also validated in test
        decide(create(group), ModelApprovalStatus="Rejected")
        if index == 0:
            decide(new, ModelLifeCycle={"Stage": "Staging", "StageStatus": "Approved"})
    submitted = time.monotonic() - started

    # When the burst has drained (every queue empty, twice in a row)
    def drained() -> bool:
        return queue_depths(local) == 0 and (time.sleep(2) or queue_depths(local) == 0)

    wait_until(drained, timeout=600, what="the burst to drain")
    drain_seconds = time.monotonic() - started

    # Then every stage endpoint serves the newest version the registry lets serve there
    mismatches = []
    stage_accounts = {"test": local.info["accounts"]["test"], "production": local.info["accounts"]["prod"]}
    endpoints = {stage: in_account(local, "sagemaker", account) for stage, account in stage_accounts.items()}
    for group in groups:
        packages = [sagemaker.describe_model_package(ModelPackageName=p["ModelPackageArn"])
                    for p in sagemaker.list_model_packages(ModelPackageGroupName=group, MaxResults=100)[
                        "ModelPackageSummaryList"]]  # fmt: skip
        approved = [p["ModelPackageVersion"] for p in packages if p["ModelApprovalStatus"] == "Approved"]
        validated = [p["ModelPackageVersion"] for p in packages if p["ModelApprovalStatus"] == "Approved"
                     and p.get("ModelLifeCycle", {}).get("StageStatus") == "Approved"]  # fmt: skip
        for stage, allowed in (("test", approved), ("production", validated)):
            if not allowed:
                continue
            want = max(allowed)
            name = f"{group}-{stage}"
            described = endpoints[stage].describe_endpoint(EndpointName=name)
            if (
                described["EndpointConfigName"] != f"{group}-v{want}-{stage}"
                or described["EndpointStatus"] != "InService"
            ):
                mismatches.append((group, stage, want, described["EndpointConfigName"], described["EndpointStatus"]))
            shown = local.govsync("records", "list", "--group", group, "--stage", stage, "--json")
            deployed = [r["model_version"] for r in json.loads(shown.stdout) if r["deployment_status"] == "deployed"]
            if deployed != [want]:
                mismatches.append((group, stage, want, "records deployed:", deployed))
    verified = json.loads(local.govsync("audit", "verify", "--json").stdout)
    print(f"\nburst: {GROUPS} groups x {VERSIONS} versions, {decisions} decisions (every event delivered twice); "
          f"submitted in {submitted:.1f} s, drained in {drain_seconds:.1f} s; {verified['versions']} chains, "
          f"{verified['entries']} entries; mismatches {len(mismatches)}")  # fmt: skip
    assert not mismatches, mismatches
    assert verified["ok"], verified["broken"]
    assert dead_lettered(local) == []
