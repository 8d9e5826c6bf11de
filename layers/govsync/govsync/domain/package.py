"""The domain's view of a model package: a typed, frozen snapshot of what the registry said."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from govsync.domain.arns import PackageArn
from govsync.domain.artifacts import REPORT, ArtifactSpec
from govsync.domain.registrations import source_account


@dataclass(frozen=True, slots=True)
class LifeCycle:
    stage: str
    stage_status: str
    stage_description: str | None = None


@dataclass(frozen=True, slots=True)
class Container:
    """One inference container of the package."""

    image: str | None
    model_data_url: str | None


@dataclass(frozen=True, slots=True)
class PackageSnapshot:
    """A model package as the registry described it: what the domain, the services and the strategies
    know of it (the registry adapter builds it from DescribeModelPackage)."""

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
    artifacts: tuple[ArtifactSpec, ...] = ()  # containers' models and ModelMetrics / DriftCheckBaselines reports
    containers: tuple[Container, ...] = ()  # the inference specification's
    instance_types: tuple[str, ...] = ()  # SupportedRealtimeInferenceInstanceTypes
    source_uri: str | None = None  # where the model came from (SourceUri: lineage)
    model_card_status: str | None = None  # Draft | PendingReview | Approved | Archived

    @property
    def reports(self) -> dict[str, str]:
        """Each ModelMetrics / DriftCheckBaselines report the package names: kind -> S3 URI."""
        return {a.name.removeprefix("report/"): a.source_uri for a in self.artifacts if a.kind == REPORT}

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


@dataclass(frozen=True, slots=True)
class ListedGroup:
    """A model package group as ListModelPackageGroups names it."""

    name: str
    arn: str


@dataclass(frozen=True, slots=True)
class ListedPackage:
    """A versioned model package as ListModelPackages names it (`version` None: the listing gave none)."""

    arn: str
    group: str
    version: int | None
