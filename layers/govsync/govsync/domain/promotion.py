"""Stage promotion: what a new approval asks for.

Approving stage S (the first stage through ModelApprovalStatus, later ones through ModelLifeCycle)
promotes the version into the next stage: that stage's record is created `pending` with a deployment
request, and the deploy function kicks it (see `domain.deployment` for the deployment's lifecycle).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace

from govsync.domain.deployment import ACTIVE, Action, Deployment, DeployState
from govsync.domain.gate_results import GateReport
from govsync.domain.package import PackageSnapshot
from govsync.domain.records import APPROVED, PENDING, REJECTED, RETIRED, Records, StageRecord
from govsync.domain.registry_decisions import Approvers
from govsync.domain.stages import StageConfig
from govsync.domain.targets import Target


def approved_in(pkg: PackageSnapshot, stage: str, config: StageConfig) -> bool:
    """Does the registry, now, say this version is approved in `stage`: its ModelLifeCycle names the
    stage as Approved, or names a later stage (the version got past this one)? A version whose
    ModelApprovalStatus is not Approved is approved nowhere."""
    if pkg.approval_status != "Approved":
        return False
    if stage == config.first:
        return True
    lifecycle = pkg.lifecycle
    named = config.stage_for(lifecycle.stage) if lifecycle else None
    if lifecycle is None or named is None:
        return False
    if named == stage:
        return lifecycle.stage_status == "Approved"
    return config.stages.index(named) > config.stages.index(stage)


def rejected_in(pkg: PackageSnapshot, stage: str, config: StageConfig) -> bool:
    """Does the registry, now, say this version is rejected in `stage` itself?"""
    if stage == config.first:
        return pkg.approval_status == "Rejected"
    lifecycle = pkg.lifecycle
    return bool(lifecycle and config.stage_for(lifecycle.stage) == stage and lifecycle.stage_status == "Rejected")


def deployable_in(pkg: PackageSnapshot, stage: str, config: StageConfig) -> bool:
    """May this version serve in `stage`: approved in the stage before it and not rejected in `stage`.
    The endpoint of a stage converges on the newest deployable version of its group."""
    previous = config.previous_stage(stage)
    return previous is not None and approved_in(pkg, previous, config) and not rejected_in(pkg, stage, config)


def registry_state(pkg: PackageSnapshot) -> str:
    """The package's decisions in words, for refusals."""
    lifecycle = f"{pkg.lifecycle.stage}/{pkg.lifecycle.stage_status}" if pkg.lifecycle else "none"
    return f"ModelApprovalStatus {pkg.approval_status}, ModelLifeCycle {lifecycle}"


def stages_now_in(
    before: dict[str, StageRecord], after: dict[str, StageRecord], config: StageConfig, status: str
) -> Iterator[tuple[str, StageRecord]]:
    """The stages, in chain order, whose record has `status` in `after` but did not in `before`."""
    for stage in config.stages:
        record, old = after.get(stage), before.get(stage)
        if record is not None and record.model_status == status and (old is None or old.model_status != status):
            yield stage, record


@dataclass(frozen=True, slots=True)
class Planning:
    """What planning a change's consequences needs: the chain, the targets, the change's event, now."""

    config: StageConfig
    targets: dict[str, Target]
    event_id: str
    now: str
    message_id: str | None = None  # the message whose change this is (it sends the requests it opens)
    # the package as the registry describes it now: a stage it may serve in but whose deployment was
    # refused or rolled back (or never asked for) is asked for again
    pkg: PackageSnapshot | None = None
    # who may decide through the registry door (a decision by anyone else counts for nothing)
    approvers: Approvers = field(default_factory=Approvers)


# deployment states after which a version that the registry lets serve in the stage is asked for again
# (a deployment the gates blocked: every later change of the package is a chance its cause was fixed)
REDEPLOYABLE = (None, DeployState.REFUSED, DeployState.BLOCKED, DeployState.ROLLED_BACK)


def _back_from_superseded(existing: StageRecord, before: Records, stage: str, previous: str) -> bool:
    """A version overtaken in `stage` (a newer one took its place) that this change makes deployable there
    again: rejected there before, or not approved in the stage before. The newer version may since have
    been taken off (rejected, with nothing to roll back to then): the stage converges again."""
    if existing.deployment.status is not DeployState.SUPERSEDED:
        return False
    old, old_previous = before.get(stage), before.get(previous)
    was_rejected = old is not None and old.model_status == REJECTED
    return was_rejected or old_previous is None or old_previous.model_status not in (APPROVED, RETIRED)


def first_record_in_stage(record: StageRecord, stage: str) -> StageRecord:
    """A version's first record in `stage`, from its record in the stage before: pending, no
    decision of the registry's or of people yet, nothing deployed or monitored."""
    return replace(
        record,
        model_stage=stage,
        model_status=PENDING,
        registry_status=None,
        stage_description=None,
        deployment=Deployment(),
        model_monitoring_metrics=None,
        monitoring_alert=None,
        decisions=[],
        registry_decision=None,
        gates=None,
    )


def plan_promotions(
    before: dict[str, StageRecord], after: dict[str, StageRecord], plan: Planning
) -> dict[str, StageRecord]:
    """`after` plus what new approvals ask for: the next stage's record, `pending`, with a deployment
    request (only where that stage has a target and no active deployment of this version)."""
    planned = dict(after)
    approved = list(stages_now_in(before, after, plan.config, APPROVED))
    wanted = {plan.config.next_stage(stage): (stage, record) for stage, record in approved}
    for stage, record in approved:  # a shadow its stage approves takes the stage's traffic
        if record.deployment.status is DeployState.SHADOW and stage in plan.targets:
            planned[stage] = replace(record, deployment=promotion_request(plan, plan.targets[stage], stage))
    if plan.pkg is not None:
        for stage in plan.targets:
            existing, previous = planned.get(stage), plan.config.previous_stage(stage)
            if previous is None or stage in wanted or not deployable_in(plan.pkg, stage, plan.config):
                continue
            # the stage before must be approved by people who may decide (see domain.attribution)
            decided = previous in planned and planned[previous].model_status in (APPROVED, RETIRED)
            if decided and (existing is None or existing.deployment.status in REDEPLOYABLE
                            or _back_from_superseded(existing, before, stage, previous)):  # fmt: skip
                wanted[stage] = (previous, planned[previous])
    for following in plan.config.stages:
        if following not in wanted or following not in plan.targets:
            continue
        if plan.pkg is not None and rejected_in(plan.pkg, following, plan.config):
            # the registry still rejects the version there: approving the stage before does not undo that
            continue
        stage, record = wanted[following]
        existing = planned.get(following)
        if existing is not None and existing.deployment.status in ACTIVE:
            continue
        request = promotion_request(plan, plan.targets[following], stage)
        base = existing or first_record_in_stage(record, following)
        if base.model_status in (PENDING, APPROVED):
            planned[following] = replace(base, deployment=request)
        elif base.model_status == REJECTED:
            # reopened (the registry now lets it serve there): pending again, and its earlier rejection no
            # longer stands, so the same rejection made again is a new decision (it rolls the stage back)
            planned[following] = replace(
                base, model_status=PENDING, registry_status=None, registry_decision=None, deployment=request
            )
        else:  # retired: pending again
            planned[following] = replace(base, model_status=PENDING, deployment=request)
    return planned


def promotion_request(plan: Planning, target: Target, approved_in: str) -> Deployment:
    """A deployment into `target`'s stage, asked for because the version is approved in `approved_in`: the
    stage before (a promotion), or the stage itself (its shadow promoted)."""
    return Deployment(
        status=DeployState.REQUESTED,
        action=Action.PROMOTE,
        account=target.account,
        region=target.region,
        strategy=target.strategy,
        requested_at=plan.now,
        requested_by_event=plan.event_id,
        requested_by_message=plan.message_id,
        approved_in=approved_in,
    )


def newest_first(approved: Iterable[StageRecord], own: tuple[int, str]) -> Iterator[tuple[int, str]]:
    """The versions that may serve a stage, as (version, ARN), newest first and each once: the records
    approved in the stage before (read newest first, lazily) and the request's own version `own`."""
    tried: set[int] = set()
    candidates = heapq.merge(
        ((r.model_version, r.model_package_arn) for r in approved), [own], key=lambda c: c[0], reverse=True
    )
    for version, arn in candidates:
        if version not in tried:
            tried.add(version)
            yield version, arn


@dataclass(frozen=True, slots=True)
class TargetVersion:
    """The version a stage should serve: as the registry describes it now, its records as just read, and
    the policy gates' report that let it."""

    version: int
    pkg: PackageSnapshot
    records: Records
    gates: GateReport
