"""What the demo puts into the local AWS: the model, its evaluation report, the package it registers,
an hour of production traffic and a Model Monitor schedule (as a user's own code would)."""

from __future__ import annotations

import io
import json
import tarfile
from datetime import UTC, datetime, timedelta
from typing import Any

from govsync_local.stack import Accounts, client

GROUP = "fraud-detector"
# A model-quality statistics report as SageMaker Model Monitor / Clarify write it.
EVALUATION_REPORT = {
    "version": 0.0,
    "dataset": {"item_count": 20000},
    "binary_classification_metrics": {
        "accuracy": {"value": 0.9712, "standard_deviation": 0.0021},
        "precision": {"value": 0.8844, "standard_deviation": 0.0075},
        "recall": {"value": 0.8123, "standard_deviation": 0.0093},
        "auc": {"value": 0.9876, "standard_deviation": 0.0011},
    },
}


def say(message: str) -> None:
    print(message, flush=True)


def model_tarball() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        payload = json.dumps({"booster": "xgboost", "trees": 128}).encode()
        info = tarfile.TarInfo("xgboost-model")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    return buffer.getvalue()


def production_traffic(endpoint: str, accounts: Accounts, endpoint_name: str) -> datetime:
    """The last whole hour of traffic, as SageMaker publishes it in the production account: 20 requests
    a minute, 2.5% server errors, model latencies from 60 to 357 ms."""
    from govsync.domain.monitoring import window_ending

    window = window_ending(datetime.now(UTC), 60)
    dimensions = [{"Name": "EndpointName", "Value": endpoint_name}, {"Name": "VariantName", "Value": "AllTraffic"}]
    data = []
    for minute in range(60):
        when = window.start + timedelta(minutes=minute, seconds=30)
        latencies = [float(60_000 + ((minute * 20 + i) * 37 % 100) * 3_000) for i in range(20)]
        data += [
            {"MetricName": "Invocations", "Value": 20, "Unit": "Count"},
            {"MetricName": "Invocation4XXErrors", "Value": 1 if minute % 20 == 0 else 0, "Unit": "Count"},
            {"MetricName": "Invocation5XXErrors", "Value": 1 if minute % 2 == 0 else 0, "Unit": "Count"},
            {"MetricName": "ModelLatency", "Values": latencies, "Unit": "Microseconds"},
            {"MetricName": "OverheadLatency", "Value": 4_000 + minute * 10, "Unit": "Microseconds"},
        ]
        for datum in data[-5:]:
            datum.update(Dimensions=dimensions, Timestamp=when)
    cloudwatch = client("cloudwatch", endpoint, accounts.prod, accounts)
    for start in range(0, len(data), 500):
        cloudwatch.put_metric_data(Namespace="AWS/SageMaker", MetricData=data[start : start + 500])
    say(
        f"   account {accounts.prod}: {len(data)} datapoints for {endpoint_name}, "
        f"{window.start:%H:%M}-{window.end:%H:%M} UTC"
    )
    return window.end


def monitoring_schedule(endpoint: str, accounts: Accounts, endpoint_name: str) -> None:
    """A data-quality schedule on the production endpoint whose last execution found violations
    (locally no processing job runs: the local Model Monitor records that execution from a tag)."""
    from govsync_local.motoext import LOCAL_EXECUTION_TAG

    client("sagemaker", endpoint, accounts.prod, accounts).create_monitoring_schedule(
        MonitoringScheduleName=f"{endpoint_name}-data-quality",
        MonitoringScheduleConfig=data_quality_schedule(endpoint_name, accounts.prod),
        Tags=[{"Key": LOCAL_EXECUTION_TAG, "Value": "CompletedWithViolations"}],
    )
    say(
        f"   account {accounts.prod}: monitoring schedule {endpoint_name}-data-quality, "
        "its last execution CompletedWithViolations"
    )


def data_quality_schedule(endpoint_name: str, account: str) -> dict[str, Any]:
    """A Model Monitor data-quality schedule on an endpoint, hourly (CreateMonitoringSchedule's config)."""
    return {
        "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"},
        "MonitoringJobDefinition": {
            "MonitoringInputs": [
                {"EndpointInput": {"EndpointName": endpoint_name, "LocalPath": "/opt/ml/processing/input"}}
            ],
            "MonitoringOutputConfig": {
                "MonitoringOutputs": [
                    {
                        "S3Output": {
                            "S3Uri": f"s3://monitoring-{account}/{endpoint_name}",
                            "LocalPath": "/opt/ml/processing/output",
                        }
                    }
                ]
            },
            "MonitoringResources": {
                "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 20}
            },
            "MonitoringAppSpecification": {
                "ImageUri": "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
            },
            "RoleArn": f"arn:aws:iam::{account}:role/model-monitor",
        },
        "MonitoringType": "DataQuality",
    }


def register(scientist: Any, bucket: str, key: str, report_key: str, group: str = GROUP) -> str:
    """create_model_package as the SageMaker guide writes it (`group`: a name, or a shared group's ARN)."""
    return scientist.create_model_package(
        ModelPackageGroupName=group,
        ModelPackageDescription="XGBoost fraud detector trained on 2026-11 data",
        InferenceSpecification={
            "Containers": [
                {
                    "Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
                    "ModelDataUrl": f"s3://{bucket}/{key}",
                }
            ],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        ModelMetrics={
            "ModelQuality": {"Statistics": {"ContentType": "application/json", "S3Uri": f"s3://{bucket}/{report_key}"}}
        },
        ModelApprovalStatus="PendingManualApproval",
        CustomerMetadataProperties={
            "UseCaseId": "uc-fraud",
            "UseCaseName": "Card fraud detection",
            "UseCaseStage": "development",
            "ModelOwner": "alice@example.com",
        },
        ModelCard={
            "ModelCardStatus": "Draft",
            "ModelCardContent": json.dumps({"intended_uses": {"risk_rating": "High"}}),
        },
    )["ModelPackageArn"]
