"""EventBridge events as SageMaker sends them, and the checks that decide whether one is ours.

Nothing in an event is trusted: it is only a trigger naming a model package. Every check here runs
before any AWS call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from govsync.domain.arns import PackageArn
from govsync.domain.errors import RejectedEvent

SOURCE = "aws.sagemaker"
EVENT_SOURCE = "govsync"  # the source of govsync's own events
MODEL_PACKAGE_STATE_CHANGE = "SageMaker Model Package State Change"

# SageMaker's own patterns (API reference: ModelPackageGroupName, ModelPackageArn).
GROUP_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")
ACCOUNT_ID = re.compile(r"[0-9]{12}")
REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-[0-9]{1,2}")
EVENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-]{0,127}")


class EventEnvelope(BaseModel):
    """The EventBridge envelope. `time` may be ISO-8601 or epoch milliseconds; `source` may be a list."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, defer_build=True)

    id: str
    version: str = "0"
    detail_type: str = Field(alias="detail-type")
    source: str | list[str]
    account: str
    region: str
    time: datetime
    resources: list[str] = Field(default_factory=list)
    detail: dict[str, Any]

    @field_validator("source")
    @classmethod
    def _one_source(cls, value: str | list[str]) -> str:
        if isinstance(value, list):
            if len(value) != 1:
                raise ValueError("source must name exactly one service")
            return value[0]
        return value


class ModelPackageDetail(BaseModel):
    """The detail of "SageMaker Model Package State Change". Only identity is used from it."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    ModelPackageGroupName: str
    ModelPackageArn: str
    ModelPackageVersion: int | None = None
    ModelApprovalStatus: str | None = None
    CreationTime: datetime | None = None
    LastModifiedTime: datetime | None = None


@dataclass(frozen=True, slots=True)
class PackageRef:
    """What a validated event tells us: which package to re-read, and the event's identity."""

    event_id: str
    event_time: datetime
    account: str
    region: str
    group: str
    version: int
    arn: str


@dataclass(frozen=True, slots=True)
class EventPolicy:
    allowed_accounts: frozenset[str]
    allowed_regions: frozenset[str]


def rejection_reason(exc: ValidationError, what: str = "event") -> str:
    """A short, log-safe reason naming the fields that failed validation."""
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(p) for p in err["loc"]) or what
        parts.append(f"{loc}: {err['msg']}")
    return f"malformed {what}: " + "; ".join(parts)


def check_envelope(envelope: EventEnvelope, detail_type: str, policy: EventPolicy, *, account_listed: bool) -> str:
    """The checks every SageMaker event gets before its detail is read: id, source, detail-type, account
    and region (in the policy's lists; the account only when `account_listed`). Returns the event id."""
    event_id = envelope.id
    if not EVENT_ID.fullmatch(event_id):
        raise RejectedEvent("event id is not a valid EventBridge id")
    if envelope.source != SOURCE:
        raise RejectedEvent(f"unexpected source {envelope.source[:64]!r}", event_id=event_id)
    if envelope.detail_type != detail_type:
        raise RejectedEvent(f"unexpected detail-type {envelope.detail_type[:64]!r}", event_id=event_id)
    if not ACCOUNT_ID.fullmatch(envelope.account):
        raise RejectedEvent("account is not a 12-digit account id", event_id=event_id)
    if account_listed and envelope.account not in policy.allowed_accounts:
        raise RejectedEvent(f"account {envelope.account} is not allowed", event_id=event_id)
    if not REGION.fullmatch(envelope.region):
        raise RejectedEvent("region is not a valid region name", event_id=event_id)
    if envelope.region not in policy.allowed_regions:
        raise RejectedEvent(f"region {envelope.region} is not allowed", event_id=event_id)
    return event_id


def check_model_package_event(envelope: EventEnvelope, policy: EventPolicy) -> PackageRef:
    """Check a parsed envelope against the policy; return the package it names or raise RejectedEvent."""
    event_id = check_envelope(envelope, MODEL_PACKAGE_STATE_CHANGE, policy, account_listed=True)
    try:
        detail = ModelPackageDetail.model_validate(envelope.detail)
    except ValidationError as exc:
        raise RejectedEvent(rejection_reason(exc, "detail"), event_id=event_id) from exc
    group = detail.ModelPackageGroupName
    if not GROUP_NAME.fullmatch(group):
        raise RejectedEvent("ModelPackageGroupName does not match SageMaker's pattern", event_id=event_id)
    arn = PackageArn.parse(detail.ModelPackageArn)
    if arn is None:
        raise RejectedEvent("ModelPackageArn is not a versioned model package ARN", event_id=event_id)
    if arn.group != group:
        raise RejectedEvent("ModelPackageArn names another group than ModelPackageGroupName", event_id=event_id)
    version = arn.version
    if detail.ModelPackageVersion is not None and detail.ModelPackageVersion != version:
        raise RejectedEvent("ModelPackageArn names another version than ModelPackageVersion", event_id=event_id)
    if arn.account != envelope.account or arn.region != envelope.region:
        raise RejectedEvent("ModelPackageArn is not in the event's account and region", event_id=event_id)
    return PackageRef(
        event_id=event_id,
        event_time=envelope.time,
        account=envelope.account,
        region=envelope.region,
        group=group,
        version=version,
        arn=detail.ModelPackageArn,
    )
