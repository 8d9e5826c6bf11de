"""What the demo puts into the local AWS: the model, its evaluation report, the package it registers
(as a user's own code would); and what the demo's steps share: its error, its output, the records."""

from __future__ import annotations

import io
import json
import sys
import tarfile
import time
from collections.abc import Callable
from typing import Any

GROUP = "fraud-detector"
EVENT_TIMEOUT = 60  # how long the demo waits for the stack to react to one change
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


class DemoError(Exception):
    pass


def say(message: str) -> None:
    print(message, flush=True)


def local_info(endpoint: str) -> dict[str, Any]:
    from govsync_local.accounts import Accounts
    from govsync_local.deployed import info

    return info(endpoint, Accounts.from_env())


def records_of(endpoint: str, group: str, version: int) -> dict[str, dict[str, Any]]:
    """A version's stage records as the governance table holds them, by stage."""
    from govsync.adapters.store import GovernanceStore

    store = GovernanceStore(local_info(endpoint)["governance_table"], "us-east-1")
    return {stage: record.to_json() for stage, record in store.load_version(group, version).records.items()}


def model_tarball() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        payload = json.dumps({"booster": "xgboost", "trees": 128}).encode()
        info = tarfile.TarInfo("xgboost-model")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    return buffer.getvalue()


def register(
    scientist: Any, bucket: str, key: str, report_key: str, group: str = GROUP, lineage: dict[str, str] | None = None
) -> str:
    """create_model_package as the SageMaker guide writes it (`group`: a name, or a shared group's ARN);
    `lineage`: SourceUri (the training job) and the documented lineage metadata keys."""
    lineage = dict(lineage or {})
    source = {"SourceUri": lineage.pop("SourceUri")} if "SourceUri" in lineage else {}
    return scientist.create_model_package(
        **source,
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
            **lineage,
        },
        ModelCard={
            "ModelCardStatus": "Draft",
            "ModelCardContent": json.dumps({"intended_uses": {"risk_rating": "High"}}),
        },
    )["ModelPackageArn"]


def wait_for(what: str, check: Callable[[], Any], timeout: float = EVENT_TIMEOUT) -> Any:
    """Poll until check() is truthy, with a progress line."""
    started = time.monotonic()
    tty = sys.stdout.isatty()
    last = -1
    while True:
        result = check()
        elapsed = time.monotonic() - started
        if result:
            print(f"\r  {what}: done in {elapsed:.1f}s" + " " * 10, flush=True)
            return result
        if elapsed > timeout:
            print(flush=True)
            raise DemoError(f"timed out after {timeout:.0f}s waiting for {what}")
        if tty:
            print(f"\r  waiting for {what} ... {elapsed:.1f}s", end="", flush=True)
        elif int(elapsed) // 5 != last:
            last = int(elapsed) // 5
            print(f"  waiting for {what} ... {elapsed:.0f}s", flush=True)
        time.sleep(0.2)
