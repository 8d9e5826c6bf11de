"""Stage targets: where and how each stage deploys (GOVSYNC_STAGE_TARGETS), with defaults resolved."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from govsync.domain.events import ACCOUNT_ID
from govsync.domain.guardrails import (
    DEFAULT_ALARMS,
    DEFAULT_LATENCY_MS,
    AutoRollbackAlarms,
    ShadowTest,
    TrafficShift,
)

DEFAULT_STRATEGY = "sagemaker-endpoint"
# the key endpoint configs are encrypted with in a stage account (workload-account.yaml's EndpointKey)
DEFAULT_ENDPOINT_KEY = "alias/govsync-endpoints"
# an instance count a stage's target does not set: two in the last stage (an instance can fail or be
# patched without an outage), one before it
FINAL_STAGE_INSTANCES, INSTANCES = 2, 1
DEFAULT_CAPTURE_PERCENT = 20
ALARM_NAME = re.compile(r"[A-Za-z0-9 ._:/#+=@-]{1,255}")


class StageTarget(BaseModel):
    """Where and how one stage deploys (one entry of GOVSYNC_STAGE_TARGETS). The strategy's name and
    what it needs of the target are checked by the strategy itself (`govsync.strategies`)."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    account: str
    strategy: str = Field(default=DEFAULT_STRATEGY, pattern=r"^[a-z][a-z0-9-]{0,40}$")
    region: str | None = None
    external_id: str | None = Field(default=None, min_length=2, max_length=1224)
    # sagemaker-endpoint
    execution_role_arn: str | None = None
    instance_type: str | None = None
    instance_count: int | None = Field(default=None, ge=1, le=100)
    vpc_config: dict[str, list[str]] | None = None
    network_isolation: bool = True
    # the KMS key (id, ARN, alias or alias ARN in the stage account) the endpoint config's storage volume is
    # encrypted with; null: SageMaker's default
    kms_key: str | None = Field(default=DEFAULT_ENDPOINT_KEY, pattern=r"^[A-Za-z0-9:/_-]{1,2048}$")
    # deployment guardrails of an update (domain.guardrails): how traffic moves, what rolls it back
    traffic: TrafficShift | None = None
    auto_rollback_alarms: AutoRollbackAlarms = None
    rollback_latency_ms: int = Field(default=DEFAULT_LATENCY_MS, ge=1, le=600_000)
    # a new version first runs as a shadow of the live one, until the stage approves it
    shadow: ShadowTest | None = None
    # the share of requests and responses the endpoint captures into the central bucket (for Model Monitor
    # and audits); null: none
    data_capture_percent: int | None = Field(default=DEFAULT_CAPTURE_PERCENT, ge=1, le=100)
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

    @field_validator("auto_rollback_alarms")
    @classmethod
    def _alarms(cls, value: AutoRollbackAlarms) -> AutoRollbackAlarms:
        if isinstance(value, list):
            if not 1 <= len(value) <= 10:
                raise ValueError(f"auto_rollback_alarms: 1 to 10 alarm names, or {DEFAULT_ALARMS!r}")
            if bad := [name for name in value if not ALARM_NAME.fullmatch(name)]:
                raise ValueError(f"auto_rollback_alarms: not an alarm name: {bad[0]!r}")
        return value

    @field_validator("vpc_config")
    @classmethod
    def _vpc(cls, value: dict[str, list[str]] | None) -> dict[str, list[str]] | None:
        if value is not None and set(value) != {"Subnets", "SecurityGroupIds"}:
            raise ValueError("vpc_config needs exactly Subnets and SecurityGroupIds")
        return value


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
    kms_key: str | None
    traffic: TrafficShift | None
    auto_rollback_alarms: AutoRollbackAlarms
    rollback_latency_ms: int
    shadow: ShadowTest | None
    data_capture_percent: int | None
    pipeline_name: str | None
    event_bus_arn: str
    # where the deploy function sends the endpoints' data capture (DeploySettings sets them)
    capture_bucket: str | None = None
    capture_key: str | None = None


def data_capture_config(group: str, target: Target) -> dict[str, Any]:
    """The endpoint config's DataCaptureConfig: a sample of requests and responses into the central
    bucket's data-capture/<group>/<stage>/ (SageMaker adds the endpoint, variant and hour), encrypted
    with the central key."""
    capture: dict[str, Any] = {
        "EnableCapture": True,
        "InitialSamplingPercentage": target.data_capture_percent,
        "DestinationS3Uri": f"s3://{target.capture_bucket}/data-capture/{group}/{target.stage}",
        "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
    }
    if target.capture_key:
        capture["KmsKeyId"] = target.capture_key
    return capture


def as_kicked(target: Target, *, rollback: bool, shadow_approved: bool) -> Target:
    """The target a kick uses: a rollback goes back to what served before at once, unwatched and not as a
    shadow; a shadow its stage approved takes the stage's traffic."""
    if rollback:
        return replace(target, traffic=None, auto_rollback_alarms=None, shadow=None)
    return replace(target, shadow=None) if shadow_approved else target


def role_arn(partition: str, account: str, role_name: str) -> str:
    return f"arn:{partition}:iam::{account}:role/{role_name}"


def resolve_targets(
    raw: dict[str, StageTarget],
    *,
    role_name: str,
    region: str,
    partition: str,
    central_account: str | None,
    final_stage: str | None = None,
) -> dict[str, Target]:
    targets = {}
    for stage, target in raw.items():
        target_region = target.region or region
        role = role_arn(partition, target.account, role_name)
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
            instance_count=target.instance_count or (FINAL_STAGE_INSTANCES if stage == final_stage else INSTANCES),
            vpc_config=target.vpc_config,
            network_isolation=target.network_isolation,
            kms_key=target.kms_key,
            traffic=target.traffic,
            auto_rollback_alarms=target.auto_rollback_alarms,
            rollback_latency_ms=target.rollback_latency_ms,
            shadow=target.shadow,
            data_capture_percent=target.data_capture_percent,
            pipeline_name=target.pipeline_name,
            event_bus_arn=target.event_bus_arn
            or f"arn:{partition}:events:{target_region}:{bus_account}:event-bus/default",
        )
    return targets
