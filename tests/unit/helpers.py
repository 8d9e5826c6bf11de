"""Builders for domain objects (no AWS)."""

import copy
import json
from datetime import UTC, datetime
from typing import Any

CENTRAL = "111111111111"
REGION = "us-east-1"
GROUP = "fraud-detector"
ARN = f"arn:aws:sagemaker:{REGION}:{CENTRAL}:model-package/{GROUP}/1"
FULL_METADATA = {
    "UseCaseId": "uc-fraud",
    "UseCaseName": "Card fraud",
    "UseCaseStage": "development",
    "ModelOwner": "alice",
    "ModelLoB": "payments",
    "ModelProject": "fraud-v2",
    "ModelRisk": "high",
}


def described(**overrides: Any) -> dict[str, Any]:
    """A DescribeModelPackage response as boto3 returns it."""
    base: dict[str, Any] = {
        "ModelPackageGroupName": GROUP,
        "ModelPackageVersion": 1,
        "ModelPackageArn": ARN,
        "CreationTime": datetime(2026, 11, 23, 10, 0, tzinfo=UTC),
        "ModelPackageStatus": "Completed",
        "ModelApprovalStatus": "PendingManualApproval",
        "CreatedBy": {"IamIdentity": {"Arn": "arn:aws:sts::222222222222:assumed-role/DataScientist/alice"}},
        "CustomerMetadataProperties": dict(FULL_METADATA),
    }
    base.update(overrides)
    return base


def event(**overrides: Any) -> dict[str, Any]:
    """An EventBridge "SageMaker Model Package State Change" event."""
    base: dict[str, Any] = {
        "version": "0",
        "id": "5f6e7a1b-0c2d-4e3f-8a9b-1c2d3e4f5a6b",
        "detail-type": "SageMaker Model Package State Change",
        "source": "aws.sagemaker",
        "account": CENTRAL,
        "time": "2026-11-23T10:00:00Z",
        "region": REGION,
        "resources": [ARN],
        "detail": {
            "ModelPackageGroupName": GROUP,
            "ModelPackageVersion": 1,
            "ModelPackageArn": ARN,
            "ModelApprovalStatus": "PendingManualApproval",
            "CreationTime": 1795428000000,
        },
    }
    result = copy.deepcopy(base)
    for key, value in overrides.items():
        if key == "detail":
            result["detail"].update(value)
        else:
            result[key] = value
    return result


def card(**sections: Any) -> dict[str, str]:
    return {"ModelCardContent": json.dumps(sections), "ModelCardStatus": "Draft"}
