"""Artifact copies dev bucket -> central bucket, through RegistrySyncFunction against moto."""

from __future__ import annotations

import json

import botocore.client
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from botocore.exceptions import ClientError

from govsync import wiring

from .conftest import CENTRAL_BUCKET, DEV_BUCKET, GROUP, MODEL_KEY, MODEL_URI, load_event, register

MIB = 1024 * 1024
CENTRAL_KEY = f"{GROUP}/1/model/primary/0/model.tar.gz"


def record(version: int = 1):
    return wiring.governance_store().load_version(GROUP, version).records["development"]


def register_with(stack, containers: list[dict] | None = None, **extra) -> str:
    spec = {
        "Containers": containers or [{"Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/xgb:1.7-1"}],
        "SupportedContentTypes": ["text/csv"],
        "SupportedResponseMIMETypes": ["text/csv"],
    }
    return register(stack.sagemaker, InferenceSpecification=spec, **extra)


class Failing:
    """One AWS operation made to fail with a code until `restore()` (the call counter keeps counting)."""

    def __init__(self, monkeypatch, original) -> None:
        self.n = 0
        self._monkeypatch = monkeypatch
        self._original = original

    def restore(self) -> None:
        self._monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", self._original)


def fail_operation(monkeypatch, operation: str, code: str, message: str = "") -> Failing:
    original = botocore.client.BaseClient._make_api_call
    seen = Failing(monkeypatch, original)

    def failing(self, operation_name, api_params):
        if operation_name == operation:
            seen.n += 1
            status = 403 if code in ("AccessDenied",) else 503 if code == "SlowDown" else 400
            raise ClientError(
                {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}},
                operation_name,
            )
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", failing)
    return seen


def test_new_version_copies_its_model_server_side_verified_and_encrypted(stack):
    # Given a registered version whose model lives in the dev bucket
    register(stack.sagemaker)
    # When its "created" event is synced
    assert stack.invoke(load_event("model-package-created")) == {"batchItemFailures": []}
    calls = stack.aws_calls("s3")
    # Then the central copy exists under a key we derived, with the source's content type and metadata,
    # encrypted with the central key by its ARN
    head = stack.s3.head_object(Bucket=CENTRAL_BUCKET, Key=CENTRAL_KEY, ChecksumMode="ENABLED")
    assert head["ContentType"] == "application/x-gzip"
    assert head["Metadata"] == {"training-job": "train-1"}
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == stack.key_arn
    source = stack.s3.head_object(Bucket=DEV_BUCKET, Key=MODEL_KEY, ChecksumMode="ENABLED")
    assert head["ChecksumCRC32"] == source["ChecksumCRC32"]
    # And the record lists it: source, central URI, size, checksum, verified by checksum
    rec = record()
    assert rec.artifact_status == "copied"
    (artifact,) = rec.artifacts
    assert artifact.source_uri == MODEL_URI
    assert artifact.central_uri == f"s3://{CENTRAL_BUCKET}/{CENTRAL_KEY}"
    assert artifact.size == source["ContentLength"] == 11000
    assert artifact.checksum == f"CRC32:{source['ChecksumCRC32']}" == artifact.source_checksum
    assert artifact.verified == "checksum" and artifact.status == "copied"
    # And the copy cost: HEAD source and one CopyObject (a first delivery of a new version: nothing to
    # look for at the destination)
    assert calls == ["s3:HeadObject", "s3:CopyObject"]


def test_approval_copies_nothing_again(stack):
    arn = register(stack.sagemaker)
    stack.invoke(load_event("model-package-created"))
    stack.calls.clear()
    # When the version is approved
    stack.sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    stack.invoke(load_event("model-package-approved"))
    # Then the record keeps its artifacts and no S3 call was made
    assert record().model_status == "approved" and record().artifact_status == "copied"
    assert stack.aws_calls("s3") == []


def test_copy_already_present_is_not_copied_again(stack, monkeypatch):
    # Given a first attempt that copied the artifact but could not write the record
    register(stack.sagemaker)
    event = load_event("model-package-created")
    failing = fail_operation(monkeypatch, "TransactWriteItems", "ThrottlingException")
    with pytest.raises(BatchProcessingError):
        stack.invoke(event)
    assert stack.s3.head_object(Bucket=CENTRAL_BUCKET, Key=CENTRAL_KEY)
    failing.restore()
    stack.calls.clear()
    # When the message is redelivered (SQS counts the receive)
    assert stack.invoke(event, receive_count=2) == {"batchItemFailures": []}
    # Then the present copy is recognised by its checksum: two HEADs, no copy
    assert stack.aws_calls("s3") == ["s3:HeadObject", "s3:HeadObject"]
    assert record().artifacts[0].verified == "checksum"


def test_large_artifact_copies_multipart_keeping_metadata(stack, monkeypatch):
    # Given a lowered multipart threshold (5 MiB, the S3 minimum part) and a 12 MiB CRC64NVME model
    monkeypatch.setenv("GOVSYNC_COPY_THRESHOLD_MIB", "5")
    monkeypatch.setenv("GOVSYNC_COPY_PART_MIB", "5")
    wiring.reset()
    key = "fraud-detector/big/model.tar.gz"
    stack.s3.put_object(
        Bucket=DEV_BUCKET,
        Key=key,
        Body=bytes(range(256)) * (12 * MIB // 256),
        ContentType="application/x-tar",
        Metadata={"framework": "xgboost"},
        ChecksumAlgorithm="CRC64NVME",
    )
    register_with(stack, [{"Image": "img:1", "ModelDataUrl": f"s3://{DEV_BUCKET}/{key}"}])
    stack.calls.clear()
    # When the version is synced
    assert stack.invoke(load_event("model-package-created")) == {"batchItemFailures": []}
    # Then the copy went through UploadPartCopy (3 parts), conditional on the source's ETag
    calls = stack.aws_calls("s3")
    assert calls.count("s3:UploadPartCopy") == 3 and "s3:CopyObject" not in calls
    assert "s3:CompleteMultipartUpload" in calls
    # And the multipart copy kept content type and metadata and has the source's full-object checksum
    head = stack.s3.head_object(Bucket=CENTRAL_BUCKET, Key=CENTRAL_KEY, ChecksumMode="ENABLED")
    source = stack.s3.head_object(Bucket=DEV_BUCKET, Key=key, ChecksumMode="ENABLED")
    assert head["ContentType"] == "application/x-tar" and head["Metadata"] == {"framework": "xgboost"}
    assert head["ContentLength"] == 12 * MIB and head["ChecksumCRC64NVME"] == source["ChecksumCRC64NVME"]
    assert head["SSEKMSKeyId"] == stack.key_arn
    artifact = record().artifacts[0]
    assert artifact.verified == "checksum" and artifact.checksum == f"CRC64NVME:{source['ChecksumCRC64NVME']}"


def test_source_changed_mid_copy_is_retried_never_recorded_as_copied(stack, monkeypatch):
    register(stack.sagemaker)
    event = load_event("model-package-created")
    original = botocore.client.BaseClient._make_api_call
    state = {"changed": False}

    def overwrite_source_first(self, operation_name, api_params):
        # the source is replaced between our HEAD and the copy
        if operation_name == "CopyObject" and not state["changed"]:
            state["changed"] = True
            original(self, "PutObject", {"Bucket": DEV_BUCKET, "Key": MODEL_KEY, "Body": b"retrained model"})
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", overwrite_source_first)
    # When the copy runs against a source that changed
    with pytest.raises(BatchProcessingError):
        stack.invoke(event)
    # Then nothing is recorded (the message will be redelivered) and no copy was made
    assert wiring.governance_store().load_version(GROUP, 1).records == {}
    with pytest.raises(ClientError):
        stack.s3.head_object(Bucket=CENTRAL_BUCKET, Key=CENTRAL_KEY)
    # And the redelivery copies what the source holds now, verified
    assert stack.invoke(event) == {"batchItemFailures": []}
    assert record().artifacts[0].size == len(b"retrained model")
    assert record().artifacts[0].verified == "checksum"


@pytest.mark.parametrize(
    ("code", "message", "expected"),
    [
        ("AccessDenied", "Access Denied", "access denied (AccessDenied)"),
        ("AccessDenied", "not authorized to perform: kms:GenerateDataKey", "kms:GenerateDataKey"),
        ("KMS.DisabledException", "key is disabled", "access denied (KMS.DisabledException)"),
    ],
)
def test_denied_copy_is_recorded_as_copy_failed(stack, monkeypatch, code, message, expected):
    register(stack.sagemaker)
    fail_operation(monkeypatch, "CopyObject", code, message)
    # When the copy is denied (by S3 or by KMS)
    assert stack.invoke(load_event("model-package-created")) == {"batchItemFailures": []}
    # Then the record is written with copy_failed and the reason, and nothing says "copied"
    rec = record()
    assert rec.artifact_status == "copy_failed"
    (artifact,) = rec.artifacts
    assert artifact.status == "copy_failed" and expected in artifact.error
    assert artifact.central_uri is None
    assert stack.dead_letters() == []


def test_failed_copy_is_tried_again_on_the_next_change(stack, monkeypatch):
    arn = register(stack.sagemaker)
    failing = fail_operation(monkeypatch, "CopyObject", "AccessDenied", "Access Denied")
    stack.invoke(load_event("model-package-created"))
    assert record().artifact_status == "copy_failed"
    failing.restore()
    # When access is fixed and the version changes again
    stack.sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    stack.invoke(load_event("model-package-approved"))
    # Then the copy is made and the audit trail shows the status change
    assert record().artifact_status == "copied"
    changes = wiring.governance_store().audit_entries(GROUP, 1)[-1].changes["development"]
    assert changes["artifact_status"] == ["copy_failed", "copied"]


def test_throttled_copy_fails_the_message_for_redelivery(stack, monkeypatch):
    register(stack.sagemaker)
    event = load_event("model-package-created")
    # When S3 throttles every copy
    seen = fail_operation(monkeypatch, "CopyObject", "SlowDown", "Please reduce your request rate")
    with pytest.raises(BatchProcessingError):
        stack.invoke(event)
    # Then the message fails (SQS redelivers it), nothing was written, nothing dead-lettered
    assert seen.n == 1
    assert wiring.governance_store().load_version(GROUP, 1).records == {}
    assert stack.dead_letters() == []
    # And once throttling passes the redelivery copies
    seen.restore()
    assert stack.invoke(event) == {"batchItemFailures": []}
    assert record().artifact_status == "copied"


def test_missing_source_object_is_copy_failed(stack):
    register_with(stack, [{"Image": "img:1", "ModelDataUrl": f"s3://{DEV_BUCKET}/nothing/here.tar.gz"}])
    stack.invoke(load_event("model-package-created"))
    artifact = record().artifacts[0]
    assert artifact.status == "copy_failed" and "does not exist" in artifact.error


def test_bucket_off_the_allow_list_is_refused_before_any_s3_call(stack):
    register_with(stack, [{"Image": "img:1", "ModelDataUrl": "s3://someone-elses-bucket/model.tar.gz"}])
    stack.invoke(load_event("model-package-created"))
    artifact = record().artifacts[0]
    assert artifact.status == "copy_failed" and "allow-list" in artifact.error
    assert stack.aws_calls("s3") == []


def test_pipeline_prefix_source_and_reports_are_all_copied(stack):
    # Given an inference pipeline (two containers, the second an uncompressed S3Prefix model),
    # an additional inference specification and model-quality statistics
    for name in ("config.json", "weights/part-0.bin", "weights/part-1.bin"):
        stack.s3.put_object(Bucket=DEV_BUCKET, Key=f"llm/v1/{name}", Body=name.encode() * 100)
    stack.s3.put_object(Bucket=DEV_BUCKET, Key="llm/v1/", Body=b"")  # a folder marker
    statistics = {
        "version": 0.0,
        "binary_classification_metrics": {
            "accuracy": {"value": 0.93, "standard_deviation": 0.01},
            "auc": {"value": 0.97, "standard_deviation": 0.004},
            "confusion_matrix": {"0": {"0": 10, "1": 1}},
        },
    }
    stack.s3.put_object(Bucket=DEV_BUCKET, Key="eval/statistics.json", Body=json.dumps(statistics).encode())
    register_with(
        stack,
        [
            {"Image": "img:pre", "ModelDataUrl": MODEL_URI},
            {
                "Image": "img:llm",
                "ModelDataSource": {
                    "S3DataSource": {
                        "S3Uri": f"s3://{DEV_BUCKET}/llm/v1/",
                        "S3DataType": "S3Prefix",
                        "CompressionType": "None",
                    }
                },
            },
        ],
        AdditionalInferenceSpecifications=[
            {"Name": "batch", "Containers": [{"Image": "img:batch", "ModelDataUrl": MODEL_URI}]}
        ],
        ModelMetrics={
            "ModelQuality": {
                "Statistics": {"ContentType": "application/json", "S3Uri": f"s3://{DEV_BUCKET}/eval/statistics.json"}
            }
        },
    )
    # When the version is synced
    assert stack.invoke(load_event("model-package-created")) == {"batchItemFailures": []}
    # Then every artifact is copied under its own derived key
    rec = record()
    by_name = {a.name: a for a in rec.artifacts}
    assert set(by_name) == {
        "model/primary/0",
        "model/primary/1/data-source",
        "model/additional-0/0",
        "report/model-quality-statistics",
    }
    assert all(a.status == "copied" for a in rec.artifacts)
    prefix = by_name["model/primary/1/data-source"]
    assert prefix.objects == 3 and prefix.checksum.startswith("MANIFEST-SHA256:")
    assert prefix.central_uri == f"s3://{CENTRAL_BUCKET}/{GROUP}/1/model/primary/1/data-source/"
    keys = {o["Key"] for o in stack.s3.list_objects_v2(Bucket=CENTRAL_BUCKET, Prefix=f"{GROUP}/1/")["Contents"]}
    assert f"{GROUP}/1/model/primary/1/data-source/weights/part-1.bin" in keys
    assert f"{GROUP}/1/model/additional-0/0/model.tar.gz" in keys
    # And the model-quality statistics became the record's validation metrics
    assert rec.model_validation_metrics == {"accuracy": 0.93, "auc": 0.97, "problem_type": "binary_classification"}


def test_source_read_role_mode_assumes_the_role_in_the_source_account(stack, monkeypatch):
    # Given the per-account read role mode
    monkeypatch.setenv("GOVSYNC_SOURCE_ROLE_NAME", "govsync-artifact-reader")
    wiring.reset()
    register(stack.sagemaker)
    # When the version is synced
    assert stack.invoke(load_event("model-package-created")) == {"batchItemFailures": []}
    # Then the role of the package's account was assumed once, and the copy made with it
    assert stack.aws_calls("sts") == ["sts:AssumeRole"]
    assert record().artifact_status == "copied"
