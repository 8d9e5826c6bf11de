"""The domain's view of a model package, built from what DescribeModelPackage returned."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from govsync.domain.arns import PackageArn
from govsync.domain.artifacts import ArtifactSpec, artifact_specs
from govsync.domain.sharing import source_account


@dataclass(frozen=True, slots=True)
class LifeCycle:
    stage: str
    stage_status: str
    stage_description: str | None = None


@dataclass(frozen=True, slots=True)
class PackageSnapshot:
    arn: str
    group: str
    version: int
    account: str
    region: str
    approval_status: str
    created_by: str
    last_modified_by: str | None
    creation_time: datetime
    last_modified_time: datetime
    description: str = ""
    approval_description: str | None = None
    lifecycle: LifeCycle | None = None
    customer_metadata: dict[str, str] = field(default_factory=dict)
    model_card: dict[str, Any] = field(default_factory=dict)
    content_hash: str = ""
    artifacts: tuple[ArtifactSpec, ...] = ()

    @property
    def group_arn(self) -> str:
        """The ARN of the package's model package group."""
        parsed = PackageArn.parse(self.arn)
        if parsed is None:  # a snapshot is only built from a valid ARN
            raise ValueError(f"not a versioned model package ARN: {self.arn[:200]}")
        return parsed.group_arn

    @property
    def source_account(self) -> str:
        """The account the version was registered from (a dev account sharing the group, or this one)."""
        return source_account(self.created_by, self.account)

    @property
    def actor(self) -> str:
        return self.last_modified_by or self.created_by

    @property
    def source_version(self) -> str:
        """Orders changes by source time, ties broken by content: never by arrival time."""
        millis = int(self.last_modified_time.timestamp() * 1000)
        return f"{millis:015d}#{self.content_hash}"


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


def _content_hash(described: dict[str, Any]) -> str:
    body = {k: v for k, v in described.items() if k != "ResponseMetadata"}
    canonical = json.dumps(body, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def snapshot_from_describe(described: dict[str, Any]) -> PackageSnapshot:
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
    )
