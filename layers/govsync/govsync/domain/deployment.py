"""A stage's deployment: a typed value with its lifecycle, and the pure transitions that move it.

    status          requested -> kicked -> live | failed; refused (not approved); blocked (a policy gate
                    failed); superseded (a later
                    version took over the endpoint); rolled_back (rejected, an earlier version redeployed)
    action          promote | rollback
    account, region, strategy, role_arn
    endpoint_name, endpoint_config_name, endpoint_arn, endpoint_status, variants
                    where it serves, as the kick and the endpoint's last state change reported them
    details         what the strategy itself reports (model name, pipeline execution, event id, ...):
                    stored beside the fields above, so a new strategy needs no new field here
    previous_version, previous_endpoint_config_name   what the endpoint served when this one was kicked
    shadow_of       the live version a version in `shadow` runs beside (its stage's approval promotes it)
    guardrails, rollback_alarms   an update's traffic shifting and the alarms SageMaker rolls it back on;
                    progress (provisioning, baking, shifting, rolled back) and rolled_back_by (`sagemaker`)
                    with tripped_alarms (those in ALARM), as the endpoint's state changes and
                    DescribeEndpoint report them (domain.guardrails, domain.endpoint_events)
    requested_at, kicked_at, deployed_at, requested_by_event, approved_in, rolled_back_from, error
    rollback        {status: requested | kicked | none, requested_at, to_version, reason}

Stored (and audited) as one flat JSON object: `to_json` / `from_json` round-trip it exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what a strategy is given and reports: only the deploy path loads it
    from govsync.domain.kicks import KickResult


class DeployState(StrEnum):
    REQUESTED = "requested"
    KICKED = "kicked"
    LIVE = "live"
    FAILED = "failed"
    REFUSED = "refused"
    BLOCKED = "blocked"  # a policy gate failed (the stage record's `gates` says which, and why)
    SUPERSEDED = "superseded"
    ROLLED_BACK = "rolled_back"
    RETIRED = "retired"  # the version retired and its endpoint torn down (domain.retirement)
    SHADOW = "shadow"  # a shadow variant beside the live version (`shadow_of`): the stage's approval promotes it


class RollbackState(StrEnum):
    REQUESTED = "requested"
    KICKED = "kicked"
    NONE = "none"  # nothing approved to roll back to
    CANCELLED = "cancelled"  # the version was approved again before the rollback ran


class Action(StrEnum):
    PROMOTE = "promote"
    ROLLBACK = "rollback"
    RETIRE = "retire"  # tear down what a retired version serves (domain.retirement)


ACTIVE = frozenset({DeployState.REQUESTED, DeployState.KICKED, DeployState.LIVE, DeployState.SHADOW})

_INTS = frozenset({"previous_version", "rolled_back_from", "superseded_by", "to_version", "shadow_of"})


def _clean(value: Any) -> Any:
    return value.value if isinstance(value, StrEnum) else value


@dataclass(frozen=True, slots=True)
class Rollback:
    status: RollbackState
    requested_at: str | None = None
    requested_by_event: str | None = None
    requested_by_message: str | None = None  # the message whose change opened it: the one that sends it
    rejected_in: str | None = None
    at: str | None = None
    to_version: int | None = None
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {f.name: _clean(v) for f in fields(self) if (v := getattr(self, f.name)) is not None}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Rollback:
        known = {f.name for f in fields(cls)} - {"status"}
        values: dict[str, Any] = {k: v for k, v in data.items() if k in known and v is not None}
        if values.get("to_version") is not None:
            values["to_version"] = int(values["to_version"])
        return cls(RollbackState(data.get("status") or RollbackState.NONE), **values)


@dataclass(frozen=True, slots=True)
class Deployment:
    status: DeployState | None = None
    action: Action | None = None
    account: str | None = None
    region: str | None = None
    strategy: str | None = None
    role_arn: str | None = None
    endpoint_name: str | None = None
    endpoint_config_name: str | None = None
    endpoint_arn: str | None = None
    endpoint_status: str | None = None
    variants: tuple[str, ...] | None = None
    previous_version: int | None = None
    previous_endpoint_config_name: str | None = None
    guardrails: str | None = None
    rollback_alarms: tuple[str, ...] | None = None
    progress: str | None = None
    rolled_back_by: str | None = None
    tripped_alarms: tuple[str, ...] | None = None  # the rollback alarms in ALARM when SageMaker rolled back
    shadow_of: int | None = None  # the live version this one runs as a shadow of
    requested_at: str | None = None
    requested_by_event: str | None = None
    requested_by_message: str | None = None  # the message whose change opened it: the one that sends it
    approved_in: str | None = None
    rolled_back_from: int | None = None
    kicked_at: str | None = None
    deployed_at: str | None = None
    error: str | None = None
    failure_reason: str | None = None
    refused_at: str | None = None
    failed_at: str | None = None
    superseded_by: int | None = None
    superseded_at: str | None = None
    rollback: Rollback | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def rollback_state(self) -> RollbackState | None:
        return self.rollback.status if self.rollback else None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = dict(self.details)
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "details" or value is None:
                continue
            if isinstance(value, Rollback):
                value = value.to_json()
            elif isinstance(value, tuple):
                value = list(value)
            data[f.name] = _clean(value)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Deployment:
        data = dict(data or {})
        known = {f.name for f in fields(cls)} - {"details"}
        values: dict[str, Any] = {k: v for k, v in data.items() if k in known and v is not None}
        details = {k: v for k, v in data.items() if k not in known}
        if "status" in values:
            values["status"] = DeployState(values["status"])
        if "action" in values:
            values["action"] = Action(values["action"])
        for name in ("variants", "rollback_alarms", "tripped_alarms"):
            if name in values:
                values[name] = tuple(str(v) for v in values[name] if isinstance(v, str))
        if isinstance(values.get("rollback"), Mapping):
            values["rollback"] = Rollback.from_json(values["rollback"])
        for name in _INTS & values.keys():
            values[name] = int(values[name])
        return cls(**values, details=details)

    def with_result(self, result: KickResult) -> Deployment:
        """This deployment with what a strategy's kick reported (known fields typed, the rest details)."""
        return Deployment.from_json({**self.to_json(), **result.to_json()})


# What a deployment keeps from its request when kicked (the rest described an earlier deployment).
REQUEST_FIELDS = ("status", "action", "account", "region", "strategy", "requested_at", "requested_by_event",
                  "approved_in", "rolled_back_from")  # fmt: skip


def request_only(deployment: Deployment) -> Deployment:
    return Deployment(**{name: getattr(deployment, name) for name in REQUEST_FIELDS})


def kicked(deployment: Deployment, result: KickResult, *, action: Action, now: str, event_id: str) -> Deployment:
    """The deployment once kicked: its request, what the strategy reported, and when (and where an update
    under guardrails is, when the endpoint reported UPDATING before this write)."""
    return replace(
        request_only(deployment).with_result(result),
        status=DeployState.KICKED,
        action=action,
        kicked_at=now,
        requested_by_event=event_id or deployment.requested_by_event or "",
        progress=deployment.progress if deployment.status is DeployState.REQUESTED else None,
    )


def after_kick(
    current: Deployment, result: KickResult, *, action: Action, now: str, event_id: str
) -> Deployment | None:
    """The deployment once its kick is written: kicked (or live or failed at once, when the endpoint
    already served the config); None when a kick was written already. A state change that came first
    (live or failed) keeps its state and takes what the kick described."""
    if current.status is DeployState.KICKED:
        return None
    if current.status in (DeployState.LIVE, DeployState.FAILED):
        return replace(current.with_result(result.described()), kicked_at=now)
    return settled(kicked(current, result, action=action, now=now, event_id=event_id), now)


def settled(deployment: Deployment, now: str) -> Deployment:
    """A kick that found the endpoint already on its config (`endpoint_status` as described then):
    no state change will come, so an endpoint in service is live, a failed one failed, now."""
    observed = deployment.endpoint_status or ""
    reason = deployment.failure_reason
    base = replace(deployment, endpoint_status=None, failure_reason=None)
    if observed == "InService":
        status = DeployState.SHADOW if deployment.shadow_of is not None else DeployState.LIVE
        return replace(base, status=status, endpoint_status="IN_SERVICE", deployed_at=now)
    if observed == "Failed":
        return replace(base, status=DeployState.FAILED, endpoint_status="FAILED",
                       error=reason or "endpoint Failed (no reason given)")  # fmt: skip
    if observed:
        return replace(base, endpoint_status=observed.upper())  # still on its way: its state change will come
    return base


def refused(deployment: Deployment, reason: str, now: str) -> Deployment:
    return replace(deployment, status=DeployState.REFUSED, error=reason, refused_at=now)


def blocked(deployment: Deployment, reasons: str, now: str) -> Deployment:
    """The gates refused the kick: nothing was deployed; `reasons` names every failing rule."""
    return replace(deployment, status=DeployState.BLOCKED, error=reasons, refused_at=now)


def kick_failed(deployment: Deployment, reason: str, now: str) -> Deployment:
    return replace(deployment, status=DeployState.FAILED, error=reason, failed_at=now)


def superseded(deployment: Deployment, by_version: int, at: str) -> Deployment | None:
    """A live deployment once a later version is live on its endpoint; None if it was not live."""
    if deployment.status is not DeployState.LIVE:
        return None
    return replace(deployment, status=DeployState.SUPERSEDED, superseded_by=by_version, superseded_at=at)


def rollback_done(
    deployment: Deployment, status: RollbackState, to_version: int | None, reason: str | None, now: str
) -> Deployment:
    """The rejected deployment once its rollback was kicked (or found nothing to roll back to)."""
    current = deployment.rollback or Rollback(RollbackState.REQUESTED)
    rollback = replace(
        current,
        status=status,
        at=now,
        to_version=to_version if to_version is not None else current.to_version,
        reason=reason or current.reason,
    )
    if status is RollbackState.KICKED:
        return replace(deployment, rollback=rollback, status=DeployState.ROLLED_BACK)
    return replace(deployment, rollback=rollback)


def overtaken(deployment: Deployment, by_version: int, now: str) -> Deployment:
    """A requested deployment that will not run: a newer version is approved for the stage."""
    return replace(deployment, status=DeployState.SUPERSEDED, superseded_by=by_version, superseded_at=now,
                   error=f"version {by_version} is newer and approved for this stage")  # fmt: skip
