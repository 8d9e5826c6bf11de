"""Rollback: rejecting a stage whose deployment is live (or going live) redeploys the newest earlier
version of the group that was live there and is not rejected."""

from __future__ import annotations

from dataclasses import replace

from govsync.domain.deployment import Action, Deployment, DeployState, Rollback, RollbackState
from govsync.domain.promotion import Planning, stages_now_in
from govsync.domain.records import APPROVED, PENDING, REJECTED, StageRecord
from govsync.domain.stages import StageConfig
from govsync.domain.targets import Target

# Decisions a rollback target may have in its stage: any but rejected (the deploy function re-reads
# the registry before it redeploys, so the registry has the last word).
ROLLBACK_CANDIDATE_STATUSES = (PENDING, APPROVED)


def rollback_stage(stage: str, config: StageConfig, targets: dict[str, Target]) -> str | None:
    """Where rejecting `stage` rolls back: the stage's own deployment, or (for a stage that deploys
    nowhere, like the first) the deployment its approval started in the next stage."""
    if stage in targets:
        return stage
    following = config.next_stage(stage)
    return following if following in targets else None


def plan_rollbacks(
    before: dict[str, StageRecord], after: dict[str, StageRecord], plan: Planning
) -> dict[str, StageRecord]:
    """`after` plus a rollback request on each live (or going-live) deployment a new rejection hits: in
    the stage it rejects (or, for a stage that deploys nowhere, the next one) and every stage after it,
    since a version rejected in one stage may serve in none after it."""
    planned = dict(after)
    for stage, _record in stages_now_in(before, after, plan.config, REJECTED):
        where = rollback_stage(stage, plan.config, plan.targets)
        if where is None:
            continue
        for hit_stage in plan.config.stages[plan.config.stages.index(where) :]:
            hit = planned.get(hit_stage)
            if hit_stage not in plan.targets or hit is None:
                continue
            if hit.deployment.status not in (DeployState.KICKED, DeployState.LIVE, DeployState.SHADOW):
                continue
            if hit.deployment.rollback_state in (RollbackState.REQUESTED, RollbackState.KICKED):
                continue
            rollback = Rollback(RollbackState.REQUESTED, plan.now, plan.event_id, plan.message_id, rejected_in=stage)
            status = REJECTED if hit_stage == stage else hit.model_status
            deployment = replace(hit.deployment, rollback=rollback)
            planned[hit_stage] = replace(hit, model_status=status, deployment=deployment)
    return planned


def rollback_request(
    record: StageRecord, target: Target, from_version: int | None, now: str, action: Action = Action.ROLLBACK
) -> StageRecord:
    """A version's record asked to go live (again): a rollback because `from_version` was rejected, or
    a promotion the stage converges on."""
    deployment = Deployment(
        status=DeployState.REQUESTED,
        action=action,
        rolled_back_from=from_version if action is Action.ROLLBACK else None,
        account=target.account,
        region=target.region,
        strategy=target.strategy,
        requested_at=now,
    )
    return replace(record, deployment=deployment)


def rollback_candidate(records: list[StageRecord], before_version: int) -> StageRecord | None:
    """The version a rollback from `before_version` redeploys: one already chosen for it, else the
    newest earlier version that was live in the stage and is not rejected."""
    chosen = [r for r in records if r.deployment.rolled_back_from == before_version]
    if chosen:
        return max(chosen, key=lambda r: r.model_version)
    candidates = [
        r
        for r in records
        if r.model_version < before_version
        and r.model_status in ROLLBACK_CANDIDATE_STATUSES
        and r.deployment.status in (DeployState.LIVE, DeployState.SUPERSEDED)
        and r.deployment.deployed_at
    ]
    return max(candidates, key=lambda r: r.model_version, default=None)
