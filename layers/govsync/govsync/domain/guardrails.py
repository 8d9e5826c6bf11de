"""Deployment guardrails of a stage's endpoint (pure): how traffic moves to a new version (all at once,
canary, linear), the CloudWatch alarms that make SageMaker roll it back, and the `DeploymentConfig` of
`UpdateEndpoint` they make. A first deployment creates the endpoint: guardrails apply from the second.

    traffic                 {"mode": "canary", "percent": 10, "wait_seconds": 600}
                            {"mode": "linear", "instances": 1, "wait_seconds": 300}
                            termination_wait_seconds, max_execution_timeout_seconds: SageMaker's own
    auto_rollback_alarms    alarm names in the stage account, or "default": govsync's pair of alarms on
                            the endpoint (5xx invocation errors; p90 model latency over the threshold)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from govsync.domain.naming import sagemaker_name

Mode = Literal["all_at_once", "canary", "linear"]
ALL_AT_ONCE: Mode = "all_at_once"
CANARY: Mode = "canary"
DEFAULT_ALARMS = "default"
# the default pair's thresholds: any 5xx answer in two consecutive minutes; p90 model latency over this
DEFAULT_LATENCY_MS = 1000
VARIANT = "AllTraffic"


class TrafficShift(BaseModel):
    """How an update moves traffic to the new fleet (SageMaker's blue/green TrafficRoutingConfig)."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    mode: Mode = ALL_AT_ONCE
    # the canary's size, or each linear step's: a percent of the capacity, or a number of instances
    percent: int | None = Field(default=None, ge=1, le=100)
    instances: int | None = Field(default=None, ge=1, le=100)
    # the bake: how long each step is watched before the next (SageMaker: 0 to 3600)
    wait_seconds: int = Field(default=600, ge=0, le=3600)
    # how long the old fleet is kept once all traffic moved (a rollback is instant while it is)
    termination_wait_seconds: int = Field(default=0, ge=0, le=3600)
    max_execution_timeout_seconds: int | None = Field(default=None, ge=600, le=28800)

    @model_validator(mode="after")
    def _size(self) -> TrafficShift:
        sized = (self.percent is not None) + (self.instances is not None)
        if self.mode == ALL_AT_ONCE and sized:
            raise ValueError("traffic: all_at_once takes no percent or instances")
        if self.mode != ALL_AT_ONCE and sized != 1:
            raise ValueError(f"traffic: {self.mode} needs exactly one of percent or instances")
        if self.mode == CANARY and self.percent is not None and self.percent > 50:
            raise ValueError("traffic: a canary is at most 50 percent of the capacity (SageMaker's limit)")
        return self

    def words(self) -> str:
        """The strategy in words, as the record and the dashboard show it."""
        if self.mode == ALL_AT_ONCE:
            shift = "all at once"
        else:
            size = f"{self.percent}%" if self.percent is not None else f"{self.instances} instance(s)"
            shift = f"canary {size}" if self.mode == CANARY else f"linear steps of {size}"
        return f"{shift}, bake {self.wait_seconds} s"


class ShadowTest(BaseModel):
    """A new version first runs as a shadow variant beside the live one: it gets a copy of a sample of the
    live requests, its answers are captured, never returned. The stage's approval promotes it."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    sampling_percent: int = Field(default=100, ge=1, le=100)


AutoRollbackAlarms = list[str] | Literal["default"] | None


@dataclass(frozen=True, slots=True)
class DefaultAlarm:
    """One of govsync's default rollback alarms on a stage endpoint (PutMetricAlarm's request)."""

    name: str
    request: dict[str, Any]


def default_alarms(endpoint: str, latency_ms: int = DEFAULT_LATENCY_MS) -> tuple[DefaultAlarm, ...]:
    """The pair `auto_rollback_alarms: default` creates in the stage account for `endpoint`."""
    dimensions = [{"Name": "EndpointName", "Value": endpoint}, {"Name": "VariantName", "Value": VARIANT}]
    common = {"Namespace": "AWS/SageMaker", "Dimensions": dimensions, "Period": 60, "EvaluationPeriods": 2,
              "DatapointsToAlarm": 2, "ComparisonOperator": "GreaterThanThreshold",
              "TreatMissingData": "notBreaching"}  # fmt: skip
    errors = sagemaker_name("govsync", endpoint, "5xx")
    latency = sagemaker_name("govsync", endpoint, "latency")
    return (
        DefaultAlarm(errors, {**common, "AlarmName": errors, "MetricName": "Invocation5XXErrors",
                              "Statistic": "Sum", "Threshold": 0.0,
                              "AlarmDescription": f"govsync: {endpoint} answers 5xx (rolls a deployment back)"}),
        DefaultAlarm(latency, {**common, "AlarmName": latency, "MetricName": "ModelLatency",
                               "ExtendedStatistic": "p90", "Threshold": float(latency_ms * 1000),
                               "AlarmDescription": f"govsync: {endpoint} p90 model latency over {latency_ms} ms "
                                                   "(rolls a deployment back)"}),
    )  # fmt: skip


def alarm_names(alarms: AutoRollbackAlarms, endpoint: str) -> tuple[str, ...]:
    """The alarms a stage's deployment rolls back on."""
    if alarms is None:
        return ()
    if alarms == DEFAULT_ALARMS:
        return tuple(alarm.name for alarm in default_alarms(endpoint))
    return tuple(alarms)


def alarms_to_create(alarms: AutoRollbackAlarms, endpoint: str, latency_ms: int) -> tuple[DefaultAlarm, ...]:
    """The alarms the kick puts in the stage account before it updates the endpoint (the default pair)."""
    return default_alarms(endpoint, latency_ms) if alarms == DEFAULT_ALARMS else ()


def deployment_config(traffic: TrafficShift | None, alarms: tuple[str, ...]) -> dict[str, Any] | None:
    """UpdateEndpoint's DeploymentConfig; None when the stage asks for neither (SageMaker's default:
    blue/green all at once, no alarms)."""
    if traffic is None and not alarms:
        return None
    shift = traffic or TrafficShift()
    routing: dict[str, Any] = {"Type": shift.mode.upper(), "WaitIntervalInSeconds": shift.wait_seconds}
    if shift.mode != ALL_AT_ONCE:
        size = (
            {"Type": "CAPACITY_PERCENT", "Value": shift.percent}
            if shift.percent is not None
            else {"Type": "INSTANCE_COUNT", "Value": shift.instances}
        )
        routing["CanarySize" if shift.mode == CANARY else "LinearStepSize"] = size
    policy: dict[str, Any] = {"TrafficRoutingConfiguration": routing,
                              "TerminationWaitInSeconds": shift.termination_wait_seconds}  # fmt: skip
    if shift.max_execution_timeout_seconds is not None:
        policy["MaximumExecutionTimeoutInSeconds"] = shift.max_execution_timeout_seconds
    config: dict[str, Any] = {"BlueGreenUpdatePolicy": policy}
    if alarms:
        config["AutoRollbackConfiguration"] = {"Alarms": [{"AlarmName": name} for name in alarms]}
    return config


# SageMaker's longest update under guardrails: an 8-hour execution timeout, then up to an hour's wait
# before the old fleet goes
LONGEST_UPDATE = timedelta(hours=10)


@dataclass(frozen=True, slots=True)
class RolloutPhase:
    """Where SageMaker is in an update under way: the new fleet's status in DescribeEndpoint's
    PendingDeploymentSummary (Creating, Updating, ActivatingTraffic, Baking, Deleting) and its instances."""

    status: str
    since: str | None = None  # when the new fleet entered this status (ISO 8601)
    current_instances: int | None = None
    desired_instances: int | None = None
    config_name: str | None = None  # the endpoint config the update moves to


def _share(traffic: TrafficShift | None, phase: RolloutPhase) -> str:
    """The share of traffic the new version takes at this step, in words."""
    shift = traffic or TrafficShift()
    if shift.mode == ALL_AT_ONCE:
        return "all traffic on the new version"
    if shift.percent is not None:
        size = f"{shift.percent}% of the capacity"
    else:
        size = f"{shift.instances} instance(s)"
        if phase.desired_instances:
            size += f" ({min(100, round(100 * (shift.instances or 0) / phase.desired_instances))}% of the capacity)"
    return f"a canary of {size} on the new version" if shift.mode == CANARY else f"linear steps of {size}"


def rollout_words(phase: RolloutPhase, traffic: TrafficShift | None) -> str:
    """The record's `progress` while an update is under way, from SageMaker's own report."""
    what = {
        "Creating": "provisioning the new fleet",
        "Updating": "provisioning the new fleet",
        "ActivatingTraffic": f"shifting traffic: {_share(traffic, phase)}",
        "Baking": f"baking: {_share(traffic, phase)}",
        "Deleting": "retiring the old fleet",
    }.get(phase.status, phase.status.lower())
    if phase.current_instances is not None and phase.desired_instances:
        what += f", {phase.current_instances} of {phase.desired_instances} new instance(s) up"
    return f"{what} (since {phase.since})" if phase.since else what


def guardrail_words(traffic: TrafficShift | None, alarms: tuple[str, ...]) -> str | None:
    """What the record says of the deployment's guardrails (None: none asked for)."""
    if traffic is None and not alarms:
        return None
    words = (traffic or TrafficShift()).words()
    return f"{words}; rolls back on {', '.join(alarms)}" if alarms else words
