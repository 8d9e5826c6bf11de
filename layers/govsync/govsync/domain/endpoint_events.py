"""Endpoint state changes ("SageMaker Endpoint State Change", forwarded from the stage accounts):
the checks that decide whether one is ours, and what it means for the record it is tagged with."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from govsync.domain.arns import PackageArn
from govsync.domain.deployment import Deployment, DeployState
from govsync.domain.errors import RejectedEvent
from govsync.domain.events import EventEnvelope, EventPolicy, check_envelope, rejection_reason
from govsync.domain.guardrails import LONGEST_UPDATE
from govsync.domain.naming import (
    SAGEMAKER_NAME,
    TAG_PACKAGE_ARN,
    TAG_STAGE,
    shadow_config_name,
    version_resource_name,
)
from govsync.domain.records import Records, StageRecord
from govsync.domain.targets import DEFAULT_STRATEGY, Target

ENDPOINT_STATE_CHANGE = "SageMaker Endpoint State Change"


class EndpointDetail(BaseModel):
    """The detail of "SageMaker Endpoint State Change" (times may be epoch milliseconds)."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    EndpointName: str
    EndpointArn: str | None = None
    EndpointConfigName: str | None = None
    EndpointStatus: str
    FailureReason: str | None = None
    Tags: dict[str, str] = Field(default_factory=dict)
    CreationTime: datetime | None = None
    LastModifiedTime: datetime | None = None
    ProductionVariants: list[dict[str, Any]] = Field(default_factory=list)

    def variant_names(self) -> tuple[str, ...]:
        """The endpoint's variants (their CloudWatch metrics are per variant); malformed entries skipped."""
        names = (v.get("VariantName") for v in self.ProductionVariants if isinstance(v, dict))
        return tuple(n for n in names if isinstance(n, str) and SAGEMAKER_NAME.fullmatch(n))


@dataclass(frozen=True, slots=True)
class EndpointChange:
    event_id: str
    account: str
    region: str
    time: str
    endpoint_name: str
    endpoint_arn: str | None
    endpoint_config_name: str | None
    status: str
    failure_reason: str | None
    package_arn: str
    group: str
    version: int
    stage: str
    variants: tuple[str, ...] = ()
    # read in the stage account when the event came (`DeploymentStatus.observed`), not carried by it:
    rollout: str | None = None  # where an update under guardrails is (guardrails.rollout_words)
    rollout_config: str | None = None  # the endpoint config that update moves to
    tripped_alarms: tuple[str, ...] = ()  # the stage's rollback alarms in ALARM when SageMaker rolled back


def check_endpoint_event(envelope: EventEnvelope, policy: EventPolicy, targets: dict[str, Target]) -> EndpointChange:
    """Check an endpoint state change against the stage targets; raise RejectedEvent if not ours. (The
    account is checked against the stage's own target below, not against a list.)"""
    event_id = check_envelope(envelope, ENDPOINT_STATE_CHANGE, policy, account_listed=False)
    try:
        detail = EndpointDetail.model_validate(envelope.detail)
    except ValidationError as exc:
        raise RejectedEvent(rejection_reason(exc, "detail"), event_id=event_id) from exc
    arn = detail.Tags.get(TAG_PACKAGE_ARN, "")
    stage = detail.Tags.get(TAG_STAGE, "")
    package = PackageArn.parse(arn)
    if package is None:
        raise RejectedEvent(f"endpoint has no valid {TAG_PACKAGE_ARN} tag", event_id=event_id)
    target = targets.get(stage)
    if target is None:
        raise RejectedEvent(f"endpoint's {TAG_STAGE} tag names no deploying stage", event_id=event_id)
    if envelope.account != target.account:
        raise RejectedEvent(
            f"endpoint event from account {envelope.account}, but stage {stage} deploys to {target.account}",
            event_id=event_id,
        )
    if not SAGEMAKER_NAME.fullmatch(detail.EndpointName):
        raise RejectedEvent("EndpointName does not match SageMaker's pattern", event_id=event_id)
    return EndpointChange(
        event_id=event_id,
        account=envelope.account,
        region=envelope.region,
        time=envelope.time.isoformat(),
        endpoint_name=detail.EndpointName,
        endpoint_arn=detail.EndpointArn,
        endpoint_config_name=detail.EndpointConfigName,
        status=detail.EndpointStatus.upper(),
        failure_reason=detail.FailureReason,
        package_arn=arn,
        group=package.group,
        version=package.version,
        stage=stage,
        variants=detail.variant_names(),
    )


# REQUESTED too: the endpoint may report before the kick's own write lands
_TRACKED = (DeployState.REQUESTED, DeployState.KICKED, DeployState.LIVE, DeployState.FAILED, DeployState.SHADOW)
_ON_ITS_WAY = (DeployState.REQUESTED, DeployState.KICKED)
SAGEMAKER = "sagemaker"  # who rolled a deployment back when SageMaker did (its alarms, its health checks)


def rolled_back_by_sagemaker(deployment: Deployment, change: EndpointChange) -> bool:
    """SageMaker took the update back: the endpoint reports ROLLING_BACK, or is in service again on the
    config it served before this version was kicked (FailureReason may then be empty)."""
    if deployment.status not in _ON_ITS_WAY:
        return False
    if change.status == "ROLLING_BACK":
        return True
    previous = deployment.previous_endpoint_config_name
    return change.status == "IN_SERVICE" and previous is not None and change.endpoint_config_name == previous


def _rolled_back(deployment: Deployment, change: EndpointChange) -> Deployment:
    alarms, tripped = deployment.rollback_alarms or (), change.tripped_alarms
    if tripped:
        why = f"alarm {', '.join(tripped)} went into ALARM during the update"
        if change.failure_reason:
            why += f" ({change.failure_reason})"
    elif change.failure_reason:
        why = change.failure_reason
    elif alarms:
        why = f"an auto-rollback alarm went into ALARM during the bake (it watches {', '.join(alarms)})"
    else:
        why = "the new fleet did not come into service"
    back_to = deployment.previous_endpoint_config_name or "the config it served before"
    progress = f"rolled back by {', '.join(tripped)}" if tripped else "rolled back"
    return replace(deployment, status=DeployState.FAILED, endpoint_name=change.endpoint_name,
                   endpoint_status=change.status, progress=progress, rolled_back_by=SAGEMAKER,
                   tripped_alarms=tripped or deployment.tripped_alarms, failed_at=change.time,
                   error=f"SageMaker rolled the update back to {back_to}: {why}")  # fmt: skip


def apply_endpoint_change(record: StageRecord, change: EndpointChange) -> StageRecord | None:
    """The record after an endpoint state change, or None when the change is not about this
    record's current deployment (another config, a superseded kick) or changes nothing."""
    deployment = record.deployment
    if change.status not in ("IN_SERVICE", "FAILED", "DELETING", "UPDATING", "ROLLING_BACK"):
        return None  # CREATING, ...: on the way, nothing to record yet
    if deployment.status not in _TRACKED or deployment.account != change.account:
        return None
    if deployment.endpoint_name not in (None, change.endpoint_name):
        return None
    if rolled_back_by_sagemaker(deployment, change):
        return replace(record, deployment=_rolled_back(deployment, change))
    if change.status in ("UPDATING", "ROLLING_BACK"):
        # traffic shifting under guardrails takes a while: the record says it is under way
        # (the stage account's report says so too when the kick's own write has not landed yet)
        guarded = deployment.status in _ON_ITS_WAY and (deployment.guardrails or change.rollout)
        progress = change.rollout or deployment.progress or "shifting"
        if change.status == "ROLLING_BACK" or not guarded or progress == deployment.progress:
            return None
        return replace(record, deployment=replace(deployment, endpoint_status=change.status, progress=progress))
    expected_config = deployment.endpoint_config_name
    if expected_config is None and deployment.strategy == DEFAULT_STRATEGY:
        expected_config = version_resource_name(record.model_group, record.model_version, record.model_stage)
    if expected_config and change.endpoint_config_name and expected_config != change.endpoint_config_name:
        return None
    updated = replace(deployment, endpoint_name=change.endpoint_name, endpoint_status=change.status,
                      rolled_back_by=None)  # fmt: skip
    if change.endpoint_arn:
        updated = replace(updated, endpoint_arn=change.endpoint_arn)
    if change.status == "IN_SERVICE":
        # a shadow serves no answer: it runs beside the live version until the stage's approval promotes it
        in_service = DeployState.SHADOW if updated.shadow_of is not None else DeployState.LIVE
        updated = replace(updated, status=in_service, deployed_at=change.time, error=None,
                          variants=change.variants or updated.variants,
                          progress="complete" if updated.guardrails else None)  # fmt: skip
    elif change.status == "FAILED":
        updated = replace(updated, status=DeployState.FAILED,
                          error=change.failure_reason or "endpoint FAILED (no reason given)")  # fmt: skip
    elif change.status == "DELETING" and deployment.status in (DeployState.LIVE, DeployState.SHADOW):
        updated = replace(updated, status=DeployState.SUPERSEDED, error="endpoint deleted")
    if updated == deployment:
        return None
    return replace(record, deployment=updated)


def records_after_change(records: Records, change: EndpointChange) -> Records | None:
    """A version's records after an endpoint state change of one of its stages (see
    `apply_endpoint_change`); RejectedEvent when the stage the endpoint is tagged with has no record."""
    if change.stage not in records:
        raise RejectedEvent(
            f"endpoint {change.endpoint_name} is tagged with {change.group}/{change.version} in "
            f"{change.stage}, which has no record",
            event_id=change.event_id,
        )
    updated = apply_endpoint_change(records[change.stage], change)
    return None if updated is None else {**records, change.stage: updated}


_PROGRESS_CHECKS = uuid.UUID("5b0f1b8e-6c1e-4f57-9a53-0d3c1f6f2a10")  # namespace of progress checks' ids


def still_updating(change: EndpointChange, now: datetime) -> bool:
    """The stage account said, as this UPDATING report came, that this version's update is under way:
    where it is is worth reading again, until SageMaker's longest update would be over."""
    if change.status != "UPDATING" or change.rollout_config is None:
        return False
    own = {version_resource_name(change.group, change.version, change.stage),
           shadow_config_name(change.group, change.version, change.stage)}  # fmt: skip
    reported = datetime.fromisoformat(change.time)
    reported = reported if reported.tzinfo else reported.replace(tzinfo=UTC)
    return change.rollout_config in own and now - reported < LONGEST_UPDATE


def progress_check(body: str) -> str:
    """An UPDATING report again, to be read with what the stage account says then: the same event under an
    id of its own, derived from the one it follows (a redelivered report asks for the same check)."""
    event = json.loads(body)
    event["id"] = str(uuid.uuid5(_PROGRESS_CHECKS, str(event["id"])))
    return json.dumps(event)
