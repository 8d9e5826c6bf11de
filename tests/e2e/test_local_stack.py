"""The whole system on the local stack: registry calls in, governance record and audit trail out."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from .conftest import wait_until

pytestmark = pytest.mark.e2e

SPEC = {
    "Containers": [{"Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
                    "ModelDataUrl": "s3://govsync-dev-artifacts-222222222222/m/model.tar.gz"}],
    "SupportedContentTypes": ["text/csv"],
    "SupportedResponseMIMETypes": ["text/csv"],
}  # fmt: skip
METADATA = {"UseCaseId": "uc-e2e", "UseCaseName": "E2E", "UseCaseStage": "development", "ModelOwner": "alice",
            "ModelLoB": "payments", "ModelProject": "p", "ModelRisk": "low"}  # fmt: skip


def new_group(local) -> str:
    group = f"e2e-{uuid.uuid4().hex[:10]}"
    local.client("sagemaker").create_model_package_group(ModelPackageGroupName=group)
    return group


def register(local, group: str) -> str:
    """A version registered by the data scientist (the tests approve as another identity)."""
    return local.registrant().create_model_package(
        ModelPackageGroupName=group, InferenceSpecification=SPEC, ModelApprovalStatus="PendingManualApproval",
        CustomerMetadataProperties=METADATA,
    )["ModelPackageArn"]  # fmt: skip


def record(local, group: str, version: int = 1) -> dict:
    shown = local.govsync("records", "show", group, str(version), "--json")
    return {r["model_stage"]: r for r in json.loads(shown.stdout)} if shown.returncode == 0 else {}


def test_info_names_every_resource(local):
    info = local.info
    assert info["endpoint_url"] == local.endpoint
    assert info["accounts"] == {"central": "111111111111", "dev": "222222222222", "test": "333333333333",
                                "prod": "444444444444", "other": "555555555555"}  # fmt: skip
    assert info["dev_bucket"] == "govsync-dev-artifacts-222222222222"
    assert info["central_bucket"].startswith("govsync-artifacts-111111111111")
    assert info["governance_table"]
    queues = info["queues"]["RegistrySyncFunction"]
    assert queues["queue_url"].startswith(local.endpoint) and queues["dlq_url"].startswith(local.endpoint)


def test_the_local_stack_applies_what_the_templates_say_where_a_scanner_looks(local):
    """Bucket versioning, public access block, ownership, access logs and lifecycle; the table's PITR and
    KMS key; log groups' KMS keys; a key DescribeKey answers; the central bucket's whole policy."""
    s3, ddb, kms, logs = (local.client(name) for name in ("s3", "dynamodb", "kms", "logs"))
    bucket = local.info["central_bucket"]
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    assert all(s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"].values())
    assert s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"][0]["ObjectOwnership"] == (
        "BucketOwnerEnforced"
    )
    assert s3.get_bucket_logging(Bucket=bucket)["LoggingEnabled"]["TargetBucket"].startswith("govsync-access-logs-")
    assert s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"][0]["ID"] == "AbortIncompleteMultipartUploads"
    sids = {st["Sid"] for st in json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]}
    assert {"TlsOnly", "CentralKeyOnly"} <= sids
    table = local.info["governance_table"]
    backups = ddb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    sse = ddb.describe_table(TableName=table)["Table"]["SSEDescription"]
    key = kms.describe_key(KeyId=sse["KMSMasterKeyArn"])["KeyMetadata"]
    assert key["KeyManager"] == "CUSTOMER" and kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"]
    groups = logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/govsync-")["logGroups"]
    assert len(groups) == 8 and all(g.get("kmsKeyId") == key["Arn"] for g in groups)
    # the anchors' bucket: Object Lock in compliance mode, ten years; its log group kept ten years
    anchors = "govsync-anchors-111111111111-us-east-1"
    rule = s3.get_object_lock_configuration(Bucket=anchors)["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]
    assert (rule["Mode"], rule["Years"]) == ("COMPLIANCE", 10)  # (moto also answers "Days": 0)
    assert s3.get_bucket_logging(Bucket=anchors)["LoggingEnabled"]["TargetBucket"].startswith("govsync-access-logs-")
    (anchor_log,) = logs.describe_log_groups(logGroupNamePrefix="/govsync/govsync/anchors")["logGroups"]
    assert anchor_log["retentionInDays"] == 3653 and anchor_log.get("kmsKeyId") == key["Arn"]
    # the dev account's bucket policy (moto's CloudFormation skips it) is applied too
    dev_s3 = boto3.client(
        "s3", region_name="us-east-1", endpoint_url=local.endpoint,
        **_credentials_in(local, local.info["accounts"]["dev"]),
    )  # fmt: skip
    dev_sids = {
        st["Sid"] for st in json.loads(dev_s3.get_bucket_policy(Bucket=local.info["dev_bucket"])["Policy"])["Statement"]
    }
    assert "TlsOnly" in dev_sids
    # a stage account's endpoint key (workload-account.yaml): customer managed, rotated, by its alias
    test_kms = boto3.client(
        "kms", region_name="us-east-1", endpoint_url=local.endpoint,
        **_credentials_in(local, local.info["accounts"]["test"]),
    )  # fmt: skip
    endpoint_key = test_kms.describe_key(KeyId="alias/govsync-endpoints")["KeyMetadata"]
    assert endpoint_key["KeyManager"] == "CUSTOMER"
    assert test_kms.get_key_rotation_status(KeyId=endpoint_key["KeyId"])["KeyRotationEnabled"]


def _credentials_in(local, account: str) -> dict[str, str]:
    creds = local.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/govsync-local-operator", RoleSessionName="scan"
    )["Credentials"]
    return {"aws_access_key_id": creds["AccessKeyId"], "aws_secret_access_key": creds["SecretAccessKey"],
            "aws_session_token": creds["SessionToken"]}  # fmt: skip


def test_register_then_approve_shows_record_and_audit(local):
    # Given a version registered and then approved with plain boto3, as the seeds do
    group = new_group(local)
    arn = register(local, group)
    wait_until(lambda: record(local, group).get("development", {}).get("model_status") == "pending", what="pending")
    local.client("sagemaker").update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    # When the events have flowed
    final = wait_until(lambda: (r := record(local, group)) and r["development"]["model_status"] == "approved" and r,
                       what="approved")  # fmt: skip
    # Then the record is approved and complete, and the audit trail has one entry per change
    assert final["development"]["use_case_id"] == "uc-e2e"
    assert final["development"]["metadata_complete"] is True
    audit = json.loads(local.govsync("audit", "show", group, "1", "--json").stdout)
    synced = [e for e in audit if e["action"] == "registry-sync"]
    assert [e["seq"] for e in synced] == [1, 2]
    assert synced[1]["changes"]["development"]["model_status"] == ["pending", "approved"]
    verified = local.govsync("audit", "verify", group, "1")
    assert verified.returncode == 0, verified.stderr
    assert f"{len(audit)} entries, ok" in verified.stdout


def test_registered_model_is_copied_to_the_central_bucket(local):
    # Given a model uploaded to the dev account's bucket (moto serves buckets across accounts)
    group = new_group(local)
    s3 = local.client("s3")
    dev_bucket, central_bucket = local.info["dev_bucket"], local.info["central_bucket"]
    s3.put_object(
        Bucket=dev_bucket, Key=f"{group}/model.tar.gz", Body=b"weights" * 4096, ContentType="application/x-gzip"
    )
    spec = {
        **SPEC,
        "Containers": [{**SPEC["Containers"][0], "ModelDataUrl": f"s3://{dev_bucket}/{group}/model.tar.gz"}],
    }
    # When the version is registered
    local.client("sagemaker").create_model_package(
        ModelPackageGroupName=group, InferenceSpecification=spec, CustomerMetadataProperties=METADATA
    )
    # Then the record lists the central copy, which exists with the source's checksum and content type
    final = wait_until(lambda: (r := record(local, group)) and r["development"]["artifact_status"] == "copied" and r,
                       what="the artifact copy")  # fmt: skip
    (artifact,) = final["development"]["artifacts"]
    assert artifact["central_uri"] == f"s3://{central_bucket}/{group}/1/model/primary/0/model.tar.gz"
    head = s3.head_object(Bucket=central_bucket, Key=f"{group}/1/model/primary/0/model.tar.gz", ChecksumMode="ENABLED")
    source = s3.head_object(Bucket=dev_bucket, Key=f"{group}/model.tar.gz", ChecksumMode="ENABLED")
    assert head["ContentType"] == "application/x-gzip" and head["ContentLength"] == 7 * 4096
    assert artifact["checksum"] == f"CRC32:{source['ChecksumCRC32']}" == f"CRC32:{head['ChecksumCRC32']}"
    shown = local.govsync("records", "show", group, "1")
    assert f"-> s3://{central_bucket}/{group}/1/model/primary/0/model.tar.gz" in shown.stdout


def approved_into_test(local) -> tuple[str, dict]:
    """A model in the dev bucket, registered in the central registry, approved: deployed to test."""
    group = new_group(local)
    s3, dev_bucket = local.client("s3"), local.info["dev_bucket"]
    s3.put_object(Bucket=dev_bucket, Key=f"{group}/model.tar.gz", Body=b"weights")
    spec = {
        **SPEC,
        "Containers": [{**SPEC["Containers"][0], "ModelDataUrl": f"s3://{dev_bucket}/{group}/model.tar.gz"}],
        "SupportedRealtimeInferenceInstanceTypes": ["ml.m5.large"],
    }
    sagemaker = local.client("sagemaker")
    arn = local.registrant().create_model_package(
        ModelPackageGroupName=group, InferenceSpecification=spec, CustomerMetadataProperties=METADATA
    )["ModelPackageArn"]
    wait_until(lambda: record(local, group), what="record")
    sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    final = wait_until(lambda: (r := record(local, group)).get("test", {}).get("deployment_status") == "deployed" and r,
                       what="the test deployment")  # fmt: skip
    return group, final


def test_approval_deploys_to_the_test_account_and_its_endpoint_event_comes_back(local):
    # Given a registered model, when it is approved, then the deploy function creates the endpoint in the
    # test account, and the endpoint's state change, forwarded by the test account's rule to the central
    # bus, marks the record deployed
    _, final = approved_into_test(local)
    deployment = final["test"]["deployment"]
    assert deployment["account"] == local.info["accounts"]["test"]
    assert deployment["endpoint_arn"].startswith(f"arn:aws:sagemaker:us-east-1:{deployment['account']}:endpoint/")
    assert local.client("sagemaker").list_endpoints()["Endpoints"] == [] or all(
        e["EndpointName"] != deployment["endpoint_name"]
        for e in local.client("sagemaker").list_endpoints()["Endpoints"]
    )
    assert "deployment status updated" in local.function_log("DeploymentStatusFunction")


def test_scheduled_jobs_run_on_demand_against_the_stage_accounts(local):
    # Given a deployment in the test account whose endpoint served traffic in the last whole hour
    group, final = approved_into_test(local)
    endpoint_name, account = final["test"]["deployment"]["endpoint_name"], final["test"]["deployment"]["account"]
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    sts = local.client("sts")
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/ops", RoleSessionName="ops")["Credentials"]
    cloudwatch = boto3.client(
        "cloudwatch", region_name="us-east-1", endpoint_url=local.endpoint, aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"],
    )  # fmt: skip
    dims = [{"Name": "EndpointName", "Value": endpoint_name}, {"Name": "VariantName", "Value": "AllTraffic"}]
    cloudwatch.put_metric_data(
        Namespace="AWS/SageMaker",
        MetricData=[
            {"MetricName": "Invocations", "Dimensions": dims, "Timestamp": hour - timedelta(minutes=20), "Value": 42},
            {"MetricName": "ModelLatency", "Dimensions": dims, "Timestamp": hour - timedelta(minutes=20),
             "Values": [1000, 2000, 3000], "Unit": "Microseconds"},
        ],
    )  # fmt: skip
    # When the metrics aggregator runs now, as its schedule would (the window named: the hour may turn)
    ran = local.govsync("schedule", "run", "MetricsAggregatorFunction", "--window-end", hour.isoformat(), "--json")
    # Then the record holds the hour's metrics, read in the test account
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["accounts"][f"{account}/us-east-1"] == "ok"
    metrics = record(local, group)["test"]["model_monitoring_metrics"]
    assert metrics["values"]["invocations"] == 42 and metrics["values"]["model_latency_p90_us"] == 3000
    assert metrics["window_end"] == hour.isoformat()
    # Given the group's development record is then lost
    synced = record(local, group)["development"]
    local.client("dynamodb").delete_item(
        TableName=local.info["governance_table"],
        Key={"pk": {"S": f"MODEL#{group}#1"}, "sk": {"S": "V#STAGE#development"}},
    )
    # When the reconciler runs on demand for that group
    reconciled = local.govsync("reconcile", "--group", group, "--json")
    # Then it is repaired, with progress on stderr and the summary on stdout
    assert reconciled.returncode == 0, reconciled.stderr
    summary = json.loads(reconciled.stdout)
    assert (summary["groups"], summary["checked"], summary["repaired"]) == (1, 1, 1)
    assert f"{group}: 1 checked, 1 repaired" in reconciled.stderr
    repaired = record(local, group)["development"]
    assert repaired["model_status"] == "approved"
    # with the same allowed buckets as the event-driven sync (the parameter reached the reconciler intact)
    assert repaired["artifact_status"] == synced["artifact_status"] != "copy_failed"
    assert [(a["source_uri"], a["status"]) for a in repaired["artifacts"]] == [
        (a["source_uri"], a["status"]) for a in synced["artifacts"]
    ]


def test_duplicate_emitted_events_still_give_one_audit_entry(local):
    # Given the stack puts every SageMaker event twice (at-least-once delivery)
    group = new_group(local)
    register(local, group)
    wait_until(lambda: record(local, group), what="record")
    # When both copies have been consumed
    wait_until(lambda: local.function_log().count(group) >= 2 and "change already applied" in local.function_log(),
               what="the duplicate to be processed")  # fmt: skip
    # Then there is still exactly one audit entry
    audit = json.loads(local.govsync("audit", "show", group, "1", "--json").stdout)
    assert len(audit) == 1


def test_lifecycle_stage_reaches_the_test_record(local):
    group = new_group(local)
    arn = register(local, group)
    sagemaker = local.client("sagemaker")
    sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    sagemaker.update_model_package(ModelPackageArn=arn, ModelLifeCycle={"Stage": "Staging", "StageStatus": "Approved"})
    final = wait_until(lambda: (r := record(local, group)).get("test", {}).get("registry_status") and r,
                       what="test record")  # fmt: skip
    assert final["test"]["registry_status"] == "approved"
    assert final["development"]["model_status"] == "approved"


def test_tampered_audit_entry_fails_verification(local):
    # Given a synced version whose first audit entry is then edited in the table
    group = new_group(local)
    register(local, group)
    wait_until(lambda: record(local, group), what="record")
    local.client("dynamodb").update_item(
        TableName=local.info["governance_table"],
        Key={"pk": {"S": f"MODEL#{group}#1"}, "sk": {"S": "AUDIT#0000000001"}},
        UpdateExpression="SET actor = :a",
        ExpressionAttributeValues={":a": {"S": "mallory"}},
    )
    # When verified
    verified = local.govsync("audit", "verify", group, "1")
    # Then it fails and names the entry
    assert verified.returncode == 1
    assert "BROKEN at entry 1" in verified.stdout and "edited" in verified.stdout


def test_foreign_event_on_the_bus_ends_in_the_dead_letter_queue(local):
    # Given a forged event claiming to come from SageMaker, naming a path-like group
    detail = {"ModelPackageGroupName": "../../etc", "ModelPackageArn": "arn:aws:sagemaker:us-east-1:111111111111:x"}
    local.client("events").put_events(
        Entries=[{"Source": "aws.sagemaker", "DetailType": "SageMaker Model Package State Change",
                  "Detail": json.dumps(detail)}]
    )  # fmt: skip
    # Then it lands in the DLQ with its reason
    sqs = local.client("sqs")
    dlq = local.info["queues"]["RegistrySyncFunction"]["dlq_url"]

    def dead_letter():
        messages = sqs.receive_message(QueueUrl=dlq, MessageAttributeNames=["All"], WaitTimeSeconds=1).get("Messages")
        return [m for m in messages or [] if "../../etc" in m["Body"]]

    (message,) = wait_until(dead_letter, what="dead letter")
    assert "ModelPackageGroupName" in message["MessageAttributes"]["govsync-rejection-reason"]["StringValue"]


def test_invoke_runs_a_handler_on_an_event_file_without_docker(local):
    # Given the package the events/ files name exists in the local registry
    sagemaker = local.client("sagemaker")
    sagemaker.create_model_package_group(ModelPackageGroupName="fraud-detector")
    sagemaker.create_model_package(ModelPackageGroupName="fraud-detector", InferenceSpecification=SPEC,
                                   ModelApprovalStatus="PendingManualApproval")  # fmt: skip
    # When the handler is invoked on the SQS-wrapped event file
    invoked = local.govsync("invoke", "RegistrySyncFunction", "-e", "events/sqs-model-package-created.json")
    # Then it answers like Lambda would, on stdout alone
    assert invoked.returncode == 0, invoked.stderr
    assert json.loads(invoked.stdout) == {"batchItemFailures": []}
    assert record(local, "fraud-detector")["development"]["model_status"] == "pending"


def test_env_vars_file_for_sam_local_invoke(local, tmp_path):
    out = tmp_path / "env.json"
    result = local.govsync("local", "env-vars", "-o", str(out))
    assert result.returncode == 0, result.stderr
    env = json.loads(out.read_text())["RegistrySyncFunction"]
    assert env["GOVSYNC_TABLE"] == local.info["governance_table"]
    assert env["GOVSYNC_DEAD_LETTER_QUEUE_URL"] == local.info["queues"]["RegistrySyncFunction"]["dlq_url"]
    assert env["GOVSYNC_ALLOWED_ACCOUNTS"] == "111111111111"
    # a list parameter arrives as the comma-joined list, not as a Python repr of it
    assert env["GOVSYNC_ARTIFACT_BUCKETS"] == local.info["dev_bucket"]
    assert env["AWS_ENDPOINT_URL"].startswith("http://host.docker.internal:")


def test_cli_without_a_running_stack_says_so(local):
    import subprocess
    import sys

    from .conftest import CLEAN_ENV, ROOT

    result = subprocess.run(
        [sys.executable, "-m", "govsync_cli", "--endpoint-url", "http://127.0.0.1:9", "records", "list"],
        env=CLEAN_ENV, cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert "cannot find stack 'govsync'" in result.stderr
