"""A production canary on the local stack, started as a user tries guardrails
(`govsync local up --stage-targets targets.json`): a version whose p90 latency alarm goes off during the
bake is rolled back by SageMaker and the record says so; the version before keeps serving; a good
version after it completes."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import boto3
import pytest

from govsync_local.server import free_port

from .conftest import CLEAN_ENV, ROOT, Local, local_up, wait_until
from .test_local_stack import METADATA, SPEC, new_group, record

pytestmark = pytest.mark.e2e

TARGETS = {
    "test": {"account": "333333333333", "instance_type": "ml.m5.large"},
    "production": {"account": "444444444444", "instance_type": "ml.m5.xlarge",
                   "traffic": {"mode": "canary", "percent": 50, "wait_seconds": 600},
                   "auto_rollback_alarms": "default", "rollback_latency_ms": 250},
}  # fmt: skip


@pytest.fixture(scope="module")
def guarded(tmp_path_factory) -> Iterator[Local]:
    workdir = tmp_path_factory.mktemp("guarded-stack")
    (workdir / "targets.json").write_text(json.dumps(TARGETS))
    # a local bake of 10 s (SageMaker's would be the 600 s asked for): long enough to set an alarm in
    with local_up(workdir, free_port(), "--fresh", "--stage-targets", "targets.json",
                  env={"GOVSYNC_LOCAL_BAKE_SECONDS": "10"}) as endpoint:  # fmt: skip
        shown = subprocess.run([sys.executable, "-m", "govsync_cli", "local", "info", "--json"],
                               env={**CLEAN_ENV, "AWS_ENDPOINT_URL": endpoint}, capture_output=True, text=True,
                               check=True, cwd=ROOT)  # fmt: skip
        yield Local(endpoint, workdir, json.loads(shown.stdout))


def in_production(local: Local, service: str):
    creds = local.client("sts").assume_role(RoleArn="arn:aws:iam::444444444444:role/inspect",
                                            RoleSessionName="e2e")["Credentials"]  # fmt: skip
    return boto3.client(service, region_name="us-east-1", endpoint_url=local.endpoint,
                        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds["SessionToken"])  # fmt: skip


def into_production(local: Local, group: str) -> int:
    """A version registered, approved in development and test: its production deployment kicked."""
    s3, bucket = local.client("s3"), local.info["dev_bucket"]
    s3.put_object(Bucket=bucket, Key=f"{group}/model.tar.gz", Body=b"weights")
    spec = {**SPEC, "Containers": [{**SPEC["Containers"][0], "ModelDataUrl": f"s3://{bucket}/{group}/model.tar.gz"}]}
    arn = local.registrant().create_model_package(
        ModelPackageGroupName=group, InferenceSpecification=spec, CustomerMetadataProperties=METADATA
    )["ModelPackageArn"]
    version = int(arn.rsplit("/", 1)[1])
    wait_until(lambda: record(local, group, version), what=f"v{version}'s record")
    sagemaker = local.client("sagemaker")
    sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    wait_until(lambda: record(local, group, version).get("test", {}).get("deployment_status") == "deployed",
               what=f"v{version} in test")  # fmt: skip
    sagemaker.update_model_package(ModelPackageArn=arn, ModelLifeCycle={"Stage": "Staging", "StageStatus": "Approved"})
    return version


def production(local: Local, group: str, version: int) -> dict:
    return record(local, group, version).get("production", {})


def test_a_canary_rolled_back_by_its_latency_alarm_then_a_good_version_completes(guarded):
    local = guarded
    group = new_group(local)
    endpoint = f"{group}-production"
    sm, cloudwatch = in_production(local, "sagemaker"), in_production(local, "cloudwatch")
    # Given version 1 live in production (a first deployment creates the endpoint: no canary)
    first = into_production(local, group)
    wait_until(lambda: production(local, group, first).get("deployment_status") == "deployed", what="v1 live")
    # When version 2's production update starts as a canary and its p90 latency alarm goes off during the bake
    second = into_production(local, group)
    wait_until(lambda: sm.describe_endpoint(EndpointName=endpoint)["EndpointStatus"] == "Updating",
               what="the canary's bake")  # fmt: skip
    latency = f"govsync-{endpoint}-latency"
    cloudwatch.set_alarm_state(AlarmName=latency, StateValue="ALARM", StateReason="p90 model latency 303 ms")
    # Then SageMaker rolls back: version 2 failed in production with the alarm named; version 1 serves on
    failed = wait_until(lambda: (p := production(local, group, second)).get("deployment_status") == "deploy_failed"
                        and p, what="v2 rolled back", timeout=60)  # fmt: skip
    assert failed["deployment"]["rolled_back_by"] == "sagemaker" and latency in failed["deployment"]["error"]
    # the alarm that tripped, read in production through its read role
    assert failed["deployment"]["tripped_alarms"] == [latency]
    assert failed["deployment"]["progress"] == f"rolled back by {latency}"
    assert failed["deployment"]["guardrails"].startswith("canary 50%, bake 600 s")
    assert production(local, group, first)["deployment_status"] == "deployed"
    assert sm.describe_endpoint(EndpointName=endpoint)["EndpointConfigName"] == f"{group}-v1-production"
    audit = json.loads(local.govsync("audit", "show", group, str(second), "--json").stdout)
    assert any(e["actor"] == "sagemaker" and e["action"] == "rolled-back-by-sagemaker" for e in audit)
    # When the latency is back to normal and version 3 goes the same way
    cloudwatch.set_alarm_state(AlarmName=latency, StateValue="OK", StateReason="p90 model latency 180 ms")
    third = into_production(local, group)
    # Then while it is under way the record says where SageMaker is (read in production as it reported UPDATING)
    under_way = wait_until(lambda: (d := production(local, group, third).get("deployment") or {}).get("progress")
                           not in (None, "shifting") and d, what="v3's update read in production")  # fmt: skip
    assert under_way["progress"].startswith(
        ("provisioning the new fleet, 0 of 2", "baking: a canary of 50% of the capacity on the new version")
    ), under_way["progress"]
    # Then its canary completes: live, version 1 superseded
    live = wait_until(lambda: (p := production(local, group, third)).get("deployment_status") == "deployed" and p,
                      what="v3 live", timeout=90)  # fmt: skip
    assert live["deployment"]["progress"] == "complete"
    assert sm.describe_endpoint(EndpointName=endpoint)["EndpointConfigName"] == f"{group}-v3-production"
    assert production(local, group, first)["deployment"]["status"] == "superseded"


@pytest.mark.parametrize(
    ("targets", "words"),
    [
        ({"production": {"account": "444444444444", "traffic": {"mode": "canary"}}}, "exactly one of percent"),
        ({"production": {"account": "999999999999"}}, "is not a local stage account"),
        (["not", "an", "object"], "want a JSON object"),
    ],
)
def test_stage_targets_that_are_not_usable_exit_2_naming_what(tmp_path, targets, words):
    (tmp_path / "targets.json").write_text(json.dumps(targets))
    run = subprocess.run([sys.executable, "-m", "govsync_cli", "local", "up", "--port", str(free_port()),
                          "--stage-targets", "targets.json"], env=CLEAN_ENV, cwd=tmp_path, capture_output=True,
                         text=True, timeout=60, stdin=subprocess.DEVNULL)  # fmt: skip
    assert run.returncode == 2 and words in run.stderr, run.stderr
