"""What a DescribeModelPackage answer means: the one place that reads its shape and builds the
domain's `PackageSnapshot` (identities, times, lifecycle, metadata, model card, containers, every
artifact and report it references, lineage)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from govsync.domain.arns import PackageArn
from govsync.domain.artifacts import MODEL, REPORT, ArtifactSpec
from govsync.domain.package import Container, LifeCycle, PackageSnapshot

# ModelMetrics / DriftCheckBaselines: (path in the response, destination folder name)
REPORT_PATHS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("ModelMetrics", "ModelQuality", "Statistics"), "model-quality-statistics"),
    (("ModelMetrics", "ModelQuality", "Constraints"), "model-quality-constraints"),
    (("ModelMetrics", "ModelDataQuality", "Statistics"), "data-quality-statistics"),
    (("ModelMetrics", "ModelDataQuality", "Constraints"), "data-quality-constraints"),
    (("ModelMetrics", "Bias", "Report"), "bias-report"),
    (("ModelMetrics", "Bias", "PreTrainingReport"), "bias-pre-training-report"),
    (("ModelMetrics", "Bias", "PostTrainingReport"), "bias-post-training-report"),
    (("ModelMetrics", "Explainability", "Report"), "explainability-report"),
    (("DriftCheckBaselines", "Bias", "ConfigFile"), "drift-bias-config"),
    (("DriftCheckBaselines", "Bias", "PreTrainingConstraints"), "drift-bias-pre-training-constraints"),
    (("DriftCheckBaselines", "Bias", "PostTrainingConstraints"), "drift-bias-post-training-constraints"),
    (("DriftCheckBaselines", "Explainability", "Constraints"), "drift-explainability-constraints"),
    (("DriftCheckBaselines", "Explainability", "ConfigFile"), "drift-explainability-config"),
    (("DriftCheckBaselines", "ModelQuality", "Statistics"), "drift-model-quality-statistics"),
    (("DriftCheckBaselines", "ModelQuality", "Constraints"), "drift-model-quality-constraints"),
    (("DriftCheckBaselines", "ModelDataQuality", "Statistics"), "drift-data-quality-statistics"),
    (("DriftCheckBaselines", "ModelDataQuality", "Constraints"), "drift-data-quality-constraints"),
)


def _dig(data: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def _containers(spec: Any) -> list[dict[str, Any]]:
    containers = spec.get("Containers") if isinstance(spec, dict) else None
    return [c for c in containers or [] if isinstance(c, dict)]


def _model_specs(folder: str, containers: list[dict[str, Any]]) -> list[ArtifactSpec]:
    specs = []
    for index, container in enumerate(containers):
        name = f"model/{folder}/{index}"
        if container.get("ModelDataUrl"):
            specs.append(ArtifactSpec(name, MODEL, container["ModelDataUrl"], prefix=False))
        source = _dig(container, ("ModelDataSource", "S3DataSource"))
        if isinstance(source, dict) and source.get("S3Uri"):
            is_prefix = source.get("S3DataType", "S3Prefix") == "S3Prefix"
            specs.append(ArtifactSpec(f"{name}/data-source", MODEL, source["S3Uri"], prefix=is_prefix))
    return specs


def artifact_specs(described: Mapping[str, Any]) -> tuple[ArtifactSpec, ...]:
    """Every artifact a DescribeModelPackage response references, in a stable order.

    Inference containers (up to 15), every additional inference specification's containers, and the
    ModelMetrics / DriftCheckBaselines reports.
    """
    specs = _model_specs("primary", _containers(described.get("InferenceSpecification")))
    for index, extra in enumerate(described.get("AdditionalInferenceSpecifications") or []):
        specs += _model_specs(f"additional-{index}", _containers(extra))
    for path, folder in REPORT_PATHS:
        source = _dig(described, path)
        if isinstance(source, dict) and source.get("S3Uri"):
            specs.append(
                ArtifactSpec(
                    f"report/{folder}", REPORT, source["S3Uri"], prefix=False, content_type=source.get("ContentType")
                )
            )
    return tuple(specs)


def _identity(user_context: dict[str, Any] | None) -> str | None:
    """The acting identity of a SageMaker UserContext: IAM identity, else the Studio user profile."""
    if not user_context:
        return None
    iam = user_context.get("IamIdentity") or {}
    for value in (iam.get("Arn"), user_context.get("UserProfileArn"), user_context.get("UserProfileName")):
        if value:
            return str(value)
    return None


def _utc(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 1e11 else value
        return datetime.fromtimestamp(seconds, tz=UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _content_hash(described: Mapping[str, Any]) -> str:
    body = {k: v for k, v in described.items() if k != "ResponseMetadata"}
    canonical = json.dumps(body, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def snapshot_from_describe(described: Mapping[str, Any]) -> PackageSnapshot:
    """Build the snapshot from a DescribeModelPackage response (absent optional blocks allowed)."""
    arn = described["ModelPackageArn"]
    parsed = PackageArn.parse(arn)
    if parsed is None:
        raise ValueError(f"not a versioned model package ARN: {arn[:200]}")
    created = _utc(described.get("CreationTime")) or datetime.fromtimestamp(0, tz=UTC)
    modified = _utc(described.get("LastModifiedTime")) or created
    lifecycle = None
    if life := described.get("ModelLifeCycle"):
        lifecycle = LifeCycle(
            stage=str(life.get("Stage", "")),
            stage_status=str(life.get("StageStatus", "")),
            stage_description=life.get("StageDescription"),
        )
    card: dict[str, Any] = {}
    if content := (described.get("ModelCard") or {}).get("ModelCardContent"):
        try:
            loaded = json.loads(content) if isinstance(content, str) else content
            card = loaded if isinstance(loaded, dict) else {}
        except ValueError:
            card = {}
    inference = described.get("InferenceSpecification") or {}
    return PackageSnapshot(
        arn=arn,
        group=described.get("ModelPackageGroupName") or parsed.group,
        version=int(described.get("ModelPackageVersion") or parsed.version),
        account=parsed.account,
        region=parsed.region,
        approval_status=str(described.get("ModelApprovalStatus") or "PendingManualApproval"),
        created_by=_identity(described.get("CreatedBy")) or "unknown",
        last_modified_by=_identity(described.get("LastModifiedBy")),
        creation_time=created,
        last_modified_time=modified,
        description=str(described.get("ModelPackageDescription") or ""),
        approval_description=described.get("ApprovalDescription") or None,
        lifecycle=lifecycle,
        customer_metadata={str(k): str(v) for k, v in (described.get("CustomerMetadataProperties") or {}).items()},
        model_card=card,
        content_hash=_content_hash(described),
        artifacts=artifact_specs(described),
        containers=tuple(
            Container(image=c.get("Image"), model_data_url=c.get("ModelDataUrl")) for c in _containers(inference)
        ),
        instance_types=tuple(str(t) for t in inference.get("SupportedRealtimeInferenceInstanceTypes") or []),
        source_uri=described.get("SourceUri") or None,
        model_card_status=(described.get("ModelCard") or {}).get("ModelCardStatus"),
    )
