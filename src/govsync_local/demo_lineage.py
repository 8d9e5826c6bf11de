"""The demo's lineage: the dev account trains each version with a SageMaker training job on a dataset in
its bucket; the stack reads the job and the dataset's version through the dev account's lineage role;
at the end, the reverse question: which production versions were trained on this dataset?"""

from __future__ import annotations

from typing import Any

from govsync_local.demo_data import GROUP, DemoError, say

COMMITS = ("9c1e5a7b3d2f4e6a8b0c1d2e3f4a5b6c7d8e9f01", "4b8d2f6a0c1e3a5b7d9f1a2b3c4d5e6f7a8b9c0d")
REPOSITORY = "https://git.example.com/payments/fraud-detector.git"


def dataset_uri(bucket: str, month: str) -> str:
    return f"s3://{bucket}/datasets/fraud/{month}/train.csv"


def train(sagemaker: Any, s3: Any, account: str, bucket: str, month: str) -> str:
    """Upload the month's dataset and run the training job on it (in the dev account); its ARN."""
    key = dataset_uri(bucket, month).removeprefix(f"s3://{bucket}/")
    s3.put_object(Bucket=bucket, Key=key, Body=f"amount,merchant,label\n12.5,m-{month},0\n".encode() * 50)
    name = f"fraud-xgb-{month}"
    common = {"S3DataType": "S3Prefix", "S3DataDistributionType": "FullyReplicated"}
    holdout = f"s3://{bucket}/datasets/fraud/{month}/holdout/"
    sagemaker.create_training_job(
        TrainingJobName=name,
        AlgorithmSpecification={
            "TrainingImage": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
            "TrainingInputMode": "File",
        },
        RoleArn=f"arn:aws:iam::{account}:role/training",
        HyperParameters={"max_depth": "6", "eta": "0.2", "objective": "binary:logistic"},
        InputDataConfig=[
            {"ChannelName": "train", "DataSource": {"S3DataSource": {**common, "S3Uri": dataset_uri(bucket, month)}}},
            {"ChannelName": "validation", "DataSource": {"S3DataSource": {**common, "S3Uri": holdout}}},
        ],
        OutputDataConfig={"S3OutputPath": f"s3://{bucket}/{GROUP}/"},
        ResourceConfig={"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30},
        StoppingCondition={"MaxRuntimeInSeconds": 3600},
    )
    arn = str(sagemaker.describe_training_job(TrainingJobName=name)["TrainingJobArn"])
    say(f"   trained {arn} on {dataset_uri(bucket, month)}")
    return arn


def show_lineage(record: Any) -> None:
    lineage = record.lineage
    if lineage is None or lineage.training_job is None or not lineage.datasets:
        raise DemoError(f"the record's lineage is incomplete: {lineage}")
    say(f"   lineage: {lineage.training_job.rpartition('/')[2]}, code {lineage.code_commit[:12]}")
    for dataset in lineage.datasets:
        version = f" (version {dataset.version_id})" if dataset.version_id else ""
        say(f"     {dataset.channel or '-'}: {dataset.uri}{version}")


def which_were_trained_on(cli: Any, endpoint: str, bucket: str, expected: list[int]) -> None:
    """The reverse question, through the lineage index."""
    dataset = dataset_uri(bucket, "2026-11")
    say("\n12. which production versions were trained on the November dataset?")
    say(f"govsync lineage --dataset {dataset} --stage production")
    if cli.main(["--endpoint-url", endpoint, "lineage", "--dataset", dataset, "--stage", "production"]) != 0:
        raise DemoError("govsync lineage failed")
    from govsync.adapters.store import GovernanceStore
    from govsync.domain.lineage_keys import LineageKey
    from govsync.services.queries import built_from
    from govsync_local.demo_data import local_info

    store = GovernanceStore(local_info(endpoint)["governance_table"], "us-east-1")
    found, _ = built_from(store, LineageKey.of("dataset", dataset), ("development", "test", "production"), "production")
    if [v.to_json()["model_version"] for v in found] != expected:
        raise DemoError(f"the lineage query found {[v.to_json()['model_version'] for v in found]}, not {expected}")
