"""Lineage against the local AWS: a dev account's training job and dataset objects read through the
lineage read role, recorded on the version's records; the reverse query through the API, through the
lineage index (no Scan)."""

from __future__ import annotations

import pytest

from govsync import wiring

from ..unit.helpers import FULL_METADATA
from .conftest import GROUP, REGION, register
from .test_cross_account import DEV, GROUP_ARN, created_event, in_account, seed_group_policy
from .test_governance_api import api

DATASETS = "dev-datasets-222222222222"
TRAIN_KEY = "fraud/2026-11/train.parquet"
TRAIN = f"s3://{DATASETS}/{TRAIN_KEY}"
VALIDATION = f"s3://{DATASETS}/fraud/2026-11/validation/"
COMMIT = "3f2a9c1d4e5b6a7f8091a2b3c4d5e6f708192a3b"


def training_job(name: str) -> str:
    """A training job in the dev account, as SageMaker keeps it after training."""
    sagemaker = in_account("sagemaker", DEV)
    channel = {"S3DataType": "S3Prefix", "S3DataDistributionType": "FullyReplicated"}
    sagemaker.create_training_job(
        TrainingJobName=name,
        AlgorithmSpecification={
            "TrainingImage": f"{DEV}.dkr.ecr.{REGION}.amazonaws.com/xgb:1.7",
            "TrainingInputMode": "File",
        },
        RoleArn=f"arn:aws:iam::{DEV}:role/training",
        HyperParameters={"max_depth": "6", "eta": "0.2"},
        InputDataConfig=[
            {"ChannelName": "train", "DataSource": {"S3DataSource": {**channel, "S3Uri": TRAIN}}},
            {"ChannelName": "validation", "DataSource": {"S3DataSource": {**channel, "S3Uri": VALIDATION}}},
        ],
        OutputDataConfig={"S3OutputPath": f"s3://{DATASETS}/out/"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        StoppingCondition={"MaxRuntimeInSeconds": 3600},
    )
    return sagemaker.describe_training_job(TrainingJobName=name)["TrainingJobArn"]


@pytest.fixture
def dev_account(stack):
    """The dev account shares the group, keeps a versioned dataset bucket; the stack reads lineage there."""
    stack.configure(DevAccounts=DEV, LineageReadRoleName="govsync-lineage-read")
    stack.sagemaker.put_model_package_group_policy(ModelPackageGroupName=GROUP, ResourcePolicy=seed_group_policy(DEV))
    s3 = in_account("s3", DEV)
    s3.create_bucket(Bucket=DATASETS)
    s3.put_bucket_versioning(Bucket=DATASETS, VersioningConfiguration={"Status": "Enabled"})
    written = s3.put_object(Bucket=DATASETS, Key=TRAIN_KEY, Body=b"rows" * 100)
    return written["ETag"], written["VersionId"]


def registered_from(job_arn: str | None, commit: str = COMMIT) -> str:
    extra = {"SourceUri": job_arn} if job_arn else {}
    return register(in_account("sagemaker", DEV), group=GROUP_ARN,
                    metadata={**FULL_METADATA, "CodeCommit": commit, "CodeRepository": "https://git.example.com/f.git"},
                    **extra)  # fmt: skip


def test_the_training_job_and_the_datasets_version_are_read_through_the_dev_accounts_role(stack, dev_account):
    etag, version_id = dev_account
    arn = registered_from(training_job("fraud-train-7"))
    assert stack.invoke(created_event(arn)) == {"batchItemFailures": []}
    record = wiring.governance_store().load_version(GROUP, 1).records["development"]
    lineage = record.lineage
    assert lineage.training_job.endswith(":training-job/fraud-train-7")
    assert lineage.training_image.endswith("/xgb:1.7") and lineage.hyperparameters_sha256
    assert [(d.uri, d.channel, d.etag, d.version_id) for d in lineage.datasets] == [
        (TRAIN, "train", etag.strip('"'), version_id), (VALIDATION, "validation", None, None)]  # fmt: skip
    assert (lineage.code_commit, record.lineage_missing, lineage.problems) == (COMMIT, (), ())
    assert lineage.sources == ("package", "metadata", "training-job")
    assert ("sagemaker", "DescribeTrainingJob") in stack.calls and ("s3", "GetObjectAttributes") in stack.calls


def test_an_unknown_training_job_is_recorded_as_a_problem_and_the_version_still_synced(stack, dev_account):
    missing = f"arn:aws:sagemaker:{REGION}:{DEV}:training-job/never-ran"
    assert stack.invoke(created_event(registered_from(missing))) == {"batchItemFailures": []}
    record = wiring.governance_store().load_version(GROUP, 1).records["development"]
    assert record.lineage.training_job == missing and record.lineage_missing == ("dataset",)
    assert record.lineage.problems[0].startswith("training job not read: DescribeTrainingJob")
    assert stack.dead_letters() == []


def test_the_reverse_query_lists_exactly_the_versions_built_from_it(stack, dev_account):
    job = training_job("fraud-train-8")
    for source, commit in ((job, COMMIT), (None, "b" * 40), (job, COMMIT)):
        assert stack.invoke(created_event(registered_from(source, commit))) == {"batchItemFailures": []}
    stack.calls.clear()
    status, body, _ = api(stack, "olivia", "GET", f"/lineage?dataset={TRAIN}")
    assert status == 200, body
    assert [v["model_version"] for v in body["versions"]] == [1, 3] and body["truncated"] is False
    assert body["versions"][0]["stages"] == {"development": {"model_status": "pending", "deployment_status": None}}
    assert not [c for c in stack.calls if c[1] == "Scan"]  # the lineage index, never a Scan
    status, body, _ = api(stack, "olivia", "GET", f"/lineage?commit={'B' * 40}")
    assert [v["model_version"] for v in body["versions"]] == [2]
    status, body, _ = api(stack, "olivia", "GET", f"/lineage?training_job={job}&stage=production")
    assert (status, body["versions"]) == (200, [])


@pytest.mark.parametrize(
    ("query", "message"),
    [("commit=main", "commit: 'main' is not a commit hash"),
     ("training_job=fraud-train-7", "training_job: 'fraud-train-7' is not a training job ARN"),
     (f"dataset={TRAIN}&commit={COMMIT}", "give exactly one of dataset, commit, training_job, mlflow_run"),
     ("", "give exactly one of"), (f"dataset={TRAIN}&stage=prod", "stage: 'prod' is not a stage")],
)  # fmt: skip
def test_a_bad_lineage_query_is_a_400_naming_it(stack, query, message):
    status, body, _ = api(stack, "olivia", "GET", f"/lineage?{query}")
    assert status == 400 and body["message"].startswith(message), body


def test_without_the_role_the_package_alone_speaks(stack):
    stack.configure(DevAccounts=DEV)
    stack.sagemaker.put_model_package_group_policy(ModelPackageGroupName=GROUP, ResourcePolicy=seed_group_policy(DEV))
    arn = registered_from(f"arn:aws:sagemaker:{REGION}:{DEV}:training-job/fraud-train-9")
    assert stack.invoke(created_event(arn)) == {"batchItemFailures": []}
    record = wiring.governance_store().load_version(GROUP, 1).records["development"]
    assert record.lineage.sources == ("package", "metadata") and record.lineage_missing == ("dataset",)
    assert ("sagemaker", "DescribeTrainingJob") not in stack.calls
