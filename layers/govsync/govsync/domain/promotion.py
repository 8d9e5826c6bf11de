"""Stage promotion: where each stage deploys, what an approval or a rejection asks for, what the
deployed resources are called, and what an endpoint's state change means for the record.

Approving stage S (the first stage through ModelApprovalStatus, later ones through ModelLifeCycle)
promotes the version into the next stage: that stage's record is created `pending` with a deployment
request, and the deploy function kicks it. Rejecting a stage whose deployment is live (or going live)
asks for a rollback to the previous approved version of the group in that stage.

A record's `deployment` holds:
    status          requested -> kicked -> live | failed; refused (not approved); superseded (a later
                    version took over the endpoint); rolled_back (rejected, an earlier version redeployed)
    action          promote | rollback
    account, region, strategy, role_arn
    endpoint_name, endpoint_config_name, model_name, endpoint_arn   (sagemaker-endpoint)
    endpoint_status, variants       as the endpoint's last state change reported them
    pipeline_name, pipeline_execution_id                             (codepipeline)
    event_bus_arn, event_id                                          (event)
    previous_version   the version whose endpoint config this one replaced
    requested_at, kicked_at, deployed_at, requested_by_event, error
    rollback        {status: requested | kicked | none, requested_at, to_version, reason}
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from govsync.domain.errors import RejectedEvent
from govsync.domain.events import (
    ACCOUNT_ID,
    MODEL_PACKAGE_ARN,
    EventEnvelope,
    EventPolicy,
    check_envelope,
    rejection_reason,
)
from govsync.domain.package import PackageSnapshot
from govsync.domain.records import APPROVED, PENDING, REJECTED, StageConfig, StageRecord

ENDPOINT_STATE_CHANGE = "SageMaker Endpoint State Change"
DEPLOYMENT_REQUESTED = "Model Deployment Requested"
EVENT_SOURCE = "govsync"

SAGEMAKER_ENDPOINT = "sagemaker-endpoint"
CODEPIPELINE = "codepipeline"
EVENT = "event"

# deployment.status
REQUESTED = "requested"
KICKED = "kicked"
LIVE = "live"
FAILED = "failed"
REFUSED = "refused"
SUPERSEDED = "superseded"
ROLLED_BACK = "rolled_back"
NO_ROLLBACK = "none"
ACTIVE = frozenset({REQUESTED, KICKED, LIVE})

PROMOTE = "promote"
ROLLBACK = "rollback"

# Tags put on every model, endpoint config and endpoint we create; endpoint state changes are
# correlated through them (a team's own pipeline tags its endpoints the same way).
TAG_PACKAGE_ARN = "govsync:model-package-arn"
TAG_STAGE = "govsync:stage"
TAG_VERSION = "govsync:model-version"

# SageMaker's name pattern for models, endpoint configs and endpoints.
SAGEMAKER_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")
NAME_MAX = 63


class StageTarget(BaseModel):
    """Where and how one stage deploys (one entry of GOVSYNC_STAGE_TARGETS)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    account: str
    strategy: Literal["sagemaker-endpoint", "codepipeline", "event"] = SAGEMAKER_ENDPOINT
    region: str | None = None
    external_id: str | None = Field(default=None, min_length=2, max_length=1224)
    # sagemaker-endpoint
    execution_role_arn: str | None = None
    instance_type: str | None = None
    instance_count: int = Field(default=1, ge=1, le=100)
    vpc_config: dict[str, list[str]] | None = None
    network_isolation: bool = False
    # codepipeline
    pipeline_name: str | None = Field(default=None, pattern=r"^[A-Za-z0-9.@\-_]{1,100}$")
    # event
    event_bus_arn: str | None = None

    @field_validator("account")
    @classmethod
    def _account(cls, value: str) -> str:
        if not ACCOUNT_ID.fullmatch(value):
            raise ValueError("account must be a 12-digit account id")
        return value

    @field_validator("vpc_config")
    @classmethod
    def _vpc(cls, value: dict[str, list[str]] | None) -> dict[str, list[str]] | None:
        if value is not None and set(value) != {"Subnets", "SecurityGroupIds"}:
            raise ValueError("vpc_config needs exactly Subnets and SecurityGroupIds")
        return value

    @model_validator(mode="after")
    def _strategy_needs(self) -> StageTarget:
        if self.strategy == CODEPIPELINE and not self.pipeline_name:
            raise ValueError("the codepipeline strategy needs pipeline_name")
        return self


@dataclass(frozen=True, slots=True)
class Target:
    """A stage target with its defaults resolved (role ARNs, region, bus)."""

    stage: str
    account: str
    region: str
    role_arn: str
    external_id: str | None
    strategy: str
    execution_role_arn: str
    instance_type: str | None
    instance_count: int
    vpc_config: dict[str, list[str]] | None
    network_isolation: bool
    pipeline_name: str | None
    event_bus_arn: str


def resolve_targets(
    raw: dict[str, StageTarget], *, role_name: str, region: str, partition: str, central_account: str | None
) -> dict[str, Target]:
    targets = {}
    for stage, target in raw.items():
        target_region = target.region or region
        role = f"arn:{partition}:iam::{target.account}:role/{role_name}"
        bus_account = central_account or target.account
        targets[stage] = Target(
            stage=stage,
            account=target.account,
            region=target_region,
            role_arn=role,
            external_id=target.external_id,
            strategy=target.strategy,
            execution_role_arn=target.execution_role_arn or f"{role}-execution",
            instance_type=target.instance_type,
            instance_count=target.instance_count,
            vpc_config=target.vpc_config,
            network_isolation=target.network_isolation,
            pipeline_name=target.pipeline_name,
            event_bus_arn=target.event_bus_arn
            or f"arn:{partition}:events:{target_region}:{bus_account}:event-bus/default",
        )
    return targets


# ---------------------------------------------------------------------------------------- names
def sagemaker_name(*parts: str | int) -> str:
    """A deterministic SageMaker resource name: parts joined by '-', other characters folded to '-',
    at most 63 characters (a long name keeps its start and ends in a hash of the whole)."""
    raw = "-".join(str(p) for p in parts)
    clean = re.sub(r"[^a-zA-Z0-9]+", "-", raw).strip("-") or "govsync"
    if len(clean) <= NAME_MAX:
        return clean
    digest = hashlib.sha256(raw.encode()).hexdigest()[:8]
    return f"{clean[: NAME_MAX - 9].rstrip('-')}-{digest}"


def endpoint_name(group: str, stage: str) -> str:
    """One endpoint per group and stage: later versions update it (blue/green by SageMaker)."""
    return sagemaker_name(group, stage)


def version_resource_name(group: str, version: int, stage: str) -> str:
    """The model and endpoint config of one version in one stage."""
    return sagemaker_name(group, f"v{version}", stage)


# ---------------------------------------------------------------------------------------- decisions
def approved_in(pkg: PackageSnapshot, stage: str, config: StageConfig) -> bool:
    """Does the registry, now, say this version is approved in `stage`: its ModelLifeCycle names the
    stage as Approved, or names a later stage (the version got past this one)? A version whose
    ModelApprovalStatus is not Approved is approved nowhere."""
    if pkg.approval_status != "Approved":
        return False
    if stage == config.first:
        return True
    named = config.stage_for(pkg.lifecycle.stage) if pkg.lifecycle else None
    if named is None:
        return False
    if named == stage:
        return pkg.lifecycle.stage_status == "Approved"
    return config.stages.index(named) > config.stages.index(stage)


def _newly(
    before: dict[str, StageRecord], after: dict[str, StageRecord], config: StageConfig, status: str
) -> Iterator[tuple[str, StageRecord]]:
    """The stages, in chain order, whose record has `status` in `after` but did not in `before`."""
    for stage in config.stages:
        record, old = after.get(stage), before.get(stage)
        if record is not None and record.model_status == status and (old is None or old.model_status != status):
            yield stage, record


def plan_promotions(
    before: dict[str, StageRecord],
    after: dict[str, StageRecord],
    config: StageConfig,
    targets: dict[str, Target],
    *,
    event_id: str,
    now: str,
) -> dict[str, StageRecord]:
    """`after` plus what new approvals ask for: the next stage's record, `pending`, with a deployment
    request (only where that stage has a target and no active deployment of this version)."""
    planned = dict(after)
    for stage, record in _newly(before, after, config, APPROVED):
        following = config.next_stage(stage)
        if following is None or following not in targets:
            continue
        existing = planned.get(following)
        if existing is not None and existing.deployment.get("status") in ACTIVE:
            continue
        target = targets[following]
        request = {
            "status": REQUESTED,
            "action": PROMOTE,
            "account": target.account,
            "region": target.region,
            "strategy": target.strategy,
            "requested_at": now,
            "requested_by_event": event_id,
            "approved_in": stage,
        }
        base = existing or replace(
            record,
            model_stage=following,
            model_status=PENDING,
            registry_status=None,
            stage_description=None,
            deployment={},
            model_monitoring_metrics={},
            monitoring_alert={},
        )
        status = base.model_status if base.model_status in (PENDING, APPROVED) else PENDING
        planned[following] = replace(base, model_status=status, deployment=request)
    return planned


def rollback_stage(stage: str, config: StageConfig, targets: dict[str, Target]) -> str | None:
    """Where rejecting `stage` rolls back: the stage's own deployment, or (for a stage that deploys
    nowhere, like the first) the deployment its approval started in the next stage."""
    if stage in targets:
        return stage
    following = config.next_stage(stage)
    return following if following in targets else None


def plan_rollbacks(
    before: dict[str, StageRecord],
    after: dict[str, StageRecord],
    config: StageConfig,
    targets: dict[str, Target],
    *,
    event_id: str,
    now: str,
) -> dict[str, StageRecord]:
    """`after` plus a rollback request on the live (or going-live) deployment a new rejection hits."""
    planned = dict(after)
    for stage, _record in _newly(before, after, config, REJECTED):
        where = rollback_stage(stage, config, targets)
        hit = planned.get(where) if where else None
        if hit is None or hit.deployment.get("status") not in (KICKED, LIVE):
            continue
        if (hit.deployment.get("rollback") or {}).get("status") in (REQUESTED, KICKED):
            continue
        rollback = {"status": REQUESTED, "requested_at": now, "requested_by_event": event_id, "rejected_in": stage}
        status = REJECTED if where == stage else hit.model_status
        planned[where] = replace(hit, model_status=status, deployment={**hit.deployment, "rollback": rollback})
    return planned


@dataclass(frozen=True, slots=True)
class DeployRequest:
    action: str  # promote | rollback
    model_group: str
    model_version: int
    stage: str
    event_id: str


def open_requests(records: dict[str, StageRecord]) -> list[DeployRequest]:
    """The deploy requests these records hold that no deploy function has taken yet."""
    requests = []
    for stage, record in records.items():
        deployment = record.deployment
        if deployment.get("status") == REQUESTED:
            requests.append(
                DeployRequest(
                    PROMOTE,
                    record.model_group,
                    record.model_version,
                    stage,
                    str(deployment.get("requested_by_event", "")),
                )
            )
        rollback = deployment.get("rollback") or {}
        if rollback.get("status") == REQUESTED:
            requests.append(
                DeployRequest(
                    ROLLBACK,
                    record.model_group,
                    record.model_version,
                    stage,
                    str(rollback.get("requested_by_event", "")),
                )
            )
    return requests


class DeployRequestMessage(BaseModel):
    """The body of a message on the deploy requests queue."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["promote", "rollback"]
    model_group: str = Field(pattern=r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
    model_version: int = Field(ge=1)
    stage: str = Field(min_length=1, max_length=64)
    event_id: str = Field(default="", max_length=128)

    def request(self) -> DeployRequest:
        return DeployRequest(self.action, self.model_group, self.model_version, self.stage, self.event_id)


def parse_deploy_request(body: str, stages: tuple[str, ...]) -> DeployRequest:
    try:
        message = DeployRequestMessage.model_validate_json(body)
    except ValidationError as exc:
        raise RejectedEvent(rejection_reason(exc, "deploy request")) from exc
    if message.stage not in stages:
        raise RejectedEvent(f"deploy request names an unknown stage {message.stage[:64]!r}")
    return message.request()


def deployment_spec(pkg: PackageSnapshot, described: dict[str, Any], target: Target) -> dict[str, Any]:
    """The parameters of the kick for `pkg` in `target` (pure: the deployer adapters call AWS)."""
    model = version_resource_name(pkg.group, pkg.version, target.stage)
    tags = [
        {"Key": TAG_PACKAGE_ARN, "Value": pkg.arn},
        {"Key": TAG_STAGE, "Value": target.stage},
        {"Key": TAG_VERSION, "Value": str(pkg.version)},
    ]
    spec: dict[str, Any] = {
        "package_arn": pkg.arn,
        "group": pkg.group,
        "version": pkg.version,
        "stage": target.stage,
        "tags": tags,
    }
    if target.strategy == SAGEMAKER_ENDPOINT:
        inference = described.get("InferenceSpecification") or {}
        containers = inference.get("Containers") or []
        instance_type = target.instance_type or next(
            iter(inference.get("SupportedRealtimeInferenceInstanceTypes") or []), None
        )
        if instance_type is None:
            raise ValueError(
                f"no instance type for stage {target.stage}: set instance_type in its target or "
                "SupportedRealtimeInferenceInstanceTypes on the package"
            )
        model_request: dict[str, Any] = {
            "ModelName": model,
            "ExecutionRoleArn": target.execution_role_arn,
            "EnableNetworkIsolation": target.network_isolation,
            "Tags": tags,
        }
        if len(containers) > 1:  # an inference pipeline
            model_request["Containers"] = [{"ModelPackageName": pkg.arn}]
        else:
            model_request["PrimaryContainer"] = {"ModelPackageName": pkg.arn}
        if target.vpc_config:
            model_request["VpcConfig"] = dict(target.vpc_config)
        spec.update(
            model=model_request,
            endpoint_config={
                "EndpointConfigName": model,
                "ProductionVariants": [
                    {
                        "VariantName": "AllTraffic",
                        "ModelName": model,
                        "InstanceType": instance_type,
                        "InitialInstanceCount": target.instance_count,
                        "InitialVariantWeight": 1.0,
                    }
                ],
                "Tags": tags,
            },
            endpoint_name=endpoint_name(pkg.group, target.stage),
        )
    elif target.strategy == CODEPIPELINE:
        spec.update(
            pipeline_name=target.pipeline_name,
            variables=[
                {"name": "ModelPackageArn", "value": pkg.arn},
                {"name": "Stage", "value": target.stage},
                {"name": "Account", "value": target.account},
            ],
            # the same request always gets the same token: a retried kick starts no second execution
            client_request_token=sagemaker_name("govsync", pkg.group, pkg.version, target.stage, pkg.content_hash),
        )
    else:
        spec.update(event_bus_arn=target.event_bus_arn)
    return spec


# ---------------------------------------------------------------------------------------- endpoint events
class EndpointDetail(BaseModel):
    """The detail of "SageMaker Endpoint State Change" (times may be epoch milliseconds)."""

    model_config = ConfigDict(extra="ignore")

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
    match = MODEL_PACKAGE_ARN.fullmatch(arn)
    if match is None:
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
        group=match["group"],
        version=int(match["version"]),
        stage=stage,
        variants=detail.variant_names(),
    )


def apply_endpoint_change(record: StageRecord, change: EndpointChange) -> StageRecord | None:
    """The record after an endpoint state change, or None when the change is not about this
    record's current deployment (another config, a superseded kick) or changes nothing."""
    deployment = record.deployment
    if change.status not in ("IN_SERVICE", "FAILED", "DELETING"):
        return None  # CREATING, UPDATING, ...: on the way, nothing to record yet
    # REQUESTED too: the endpoint may report before the kick's own write lands
    if deployment.get("status") not in (REQUESTED, KICKED, LIVE, FAILED):
        return None
    if deployment.get("account") != change.account:
        return None
    if deployment.get("endpoint_name") not in (None, change.endpoint_name):
        return None
    expected_config = deployment.get("endpoint_config_name")
    if expected_config is None and deployment.get("strategy") == SAGEMAKER_ENDPOINT:
        expected_config = version_resource_name(record.model_group, record.model_version, record.model_stage)
    if expected_config and change.endpoint_config_name and expected_config != change.endpoint_config_name:
        return None
    updated = {**deployment, "endpoint_name": change.endpoint_name, "endpoint_status": change.status}
    if change.endpoint_arn:
        updated["endpoint_arn"] = change.endpoint_arn
    if change.status == "IN_SERVICE":
        updated.update(status=LIVE, deployed_at=change.time)
        if change.variants:
            updated["variants"] = list(change.variants)
        updated.pop("error", None)
    elif change.status == "FAILED":
        updated.update(status=FAILED, error=change.failure_reason or "endpoint FAILED (no reason given)")
    elif change.status == "DELETING" and deployment.get("status") == LIVE:
        updated.update(status=SUPERSEDED, error="endpoint deleted")
    if updated == deployment:
        return None
    return replace(record, deployment=updated)


def supersede(record: StageRecord, by_version: int, at: str) -> StageRecord | None:
    """The previous version's record once a later version is live on its endpoint: its deployment is
    superseded; its decision stands (it stays a rollback candidate)."""
    if record.deployment.get("status") != LIVE:
        return None
    deployment = {**record.deployment, "status": SUPERSEDED, "superseded_by": by_version, "superseded_at": at}
    return replace(record, deployment=deployment)


# What a deployment keeps from its request when kicked (the rest described an earlier deployment).
REQUEST_KEYS = frozenset(
    {"status", "action", "account", "region", "strategy", "requested_at", "requested_by_event", "approved_in",
     "rolled_back_from"}
)  # fmt: skip


def rollback_request(record: StageRecord, target: Target, from_version: int, now: str) -> StageRecord:
    """An earlier version's record asked to go live again because `from_version` was rejected."""
    deployment = {
        "status": REQUESTED,
        "action": ROLLBACK,
        "rolled_back_from": from_version,
        "account": target.account,
        "region": target.region,
        "strategy": target.strategy,
        "requested_at": now,
    }
    return replace(record, deployment=deployment)


def kicked(record: StageRecord, result: dict[str, Any], *, action: str, now: str, event_id: str) -> StageRecord:
    """The record once its deployment was kicked."""
    deployment = {
        **{k: v for k, v in record.deployment.items() if k in REQUEST_KEYS},
        **result,
        "status": KICKED,
        "action": action,
        "kicked_at": now,
        "requested_by_event": event_id or record.deployment.get("requested_by_event", ""),
    }
    return replace(record, deployment=deployment)


def settled(record: StageRecord, now: str) -> StageRecord:
    """A kick that found the endpoint already on its config (`endpoint_status` as described then):
    no state change will come, so an endpoint in service is live, a failed one failed, now."""
    deployment = dict(record.deployment)
    observed = str(deployment.pop("endpoint_status", "") or "")
    reason = deployment.pop("failure_reason", None)
    if observed == "InService":
        deployment.update(status=LIVE, endpoint_status="IN_SERVICE", deployed_at=now)
    elif observed == "Failed":
        deployment.update(status=FAILED, endpoint_status="FAILED", error=reason or "endpoint Failed (no reason given)")
    elif observed:
        deployment["endpoint_status"] = observed.upper()  # still on its way: its state change will come
    return replace(record, deployment=deployment)


def refused(record: StageRecord, reason: str, now: str) -> StageRecord:
    deployment = {**record.deployment, "status": REFUSED, "error": reason, "refused_at": now}
    return replace(record, deployment=deployment)


def kick_failed(record: StageRecord, reason: str, now: str) -> StageRecord:
    deployment = {**record.deployment, "status": FAILED, "error": reason, "failed_at": now}
    return replace(record, deployment=deployment)


# Decisions a rollback target may have in its stage: any but rejected (the deploy function re-reads
# the registry before it redeploys, so the registry has the last word).
ROLLBACK_CANDIDATE_STATUSES = (PENDING, APPROVED)


def rollback_candidate(records: list[StageRecord], before_version: int) -> StageRecord | None:
    """The version a rollback from `before_version` redeploys: one already chosen for it, else the
    newest earlier version that was live in the stage and is not rejected."""
    chosen = [r for r in records if r.deployment.get("rolled_back_from") == before_version]
    if chosen:
        return max(chosen, key=lambda r: r.model_version)
    candidates = [
        r
        for r in records
        if r.model_version < before_version
        and r.model_status in ROLLBACK_CANDIDATE_STATUSES
        and r.deployment.get("status") in (LIVE, SUPERSEDED)
        and r.deployment.get("deployed_at")
    ]
    return max(candidates, key=lambda r: r.model_version, default=None)
