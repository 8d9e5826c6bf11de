"""Deploy function's service: take a deploy request, check the registry still approves the version,
kick the stage's strategy in the stage's account, and record the kick.

A kick never deploys a version the registry does not approve for the stage (the request is refused
and the record says why). A failure that cannot heal (role assumption denied, no instance type, a
missing pipeline) marks the record `deploy_failed` with the error and sends the request to the
dead-letter queue; a transient one fails the message so SQS redelivers it. Kicks are idempotent:
deterministic names and request tokens make a retried kick find what an earlier one made.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from govsync.domain.arns import PackageArn
from govsync.domain.deploy_requests import DeployRequest, parse_deploy_request
from govsync.domain.deployment import (
    Action,
    Deployment,
    DeployState,
    RollbackState,
    kick_failed,
    kicked,
    refused,
    rollback_done,
    settled,
)
from govsync.domain.errors import PermanentAwsError, RejectedEvent
from govsync.domain.package import PackageSnapshot, snapshot_from_describe
from govsync.domain.promotion import approved_in, registry_state
from govsync.domain.records import StageRecord
from govsync.domain.rollback import ROLLBACK_CANDIDATE_STATUSES, rollback_candidate, rollback_request
from govsync.domain.targets import Target
from govsync.observability import MetricUnit, logger, metrics
from govsync.services.deployment_status import Replacement, supersede_previous
from govsync.services.messages import Consumer, Message, handle_or_dead_letter
from govsync.services.ports import Registry
from govsync.services.updates import Audit, update_records
from govsync.strategies import DeployStrategy

ACTOR = "govsync-deploy"


class Outcome(StrEnum):
    KICKED = "kicked"
    SKIPPED = "skipped"
    REFUSED = "refused"
    FAILED = "failed"
    ROLLED_BACK = "rolled_back"
    NO_ROLLBACK = "no_rollback"
    REJECTED = "rejected"


@dataclass(kw_only=True)
class Deployments(Consumer):
    registry: Registry
    strategies: dict[str, DeployStrategy]

    def handle_message(self, body: str, message_id: str) -> Outcome:
        def handle(message: Message) -> Outcome:
            request = parse_deploy_request(message.body, self.config.stages)
            message.identify(request.event_id or None)
            return self.rollback(request) if request.action is Action.ROLLBACK else self.promote(request)

        return handle_or_dead_letter(
            Message(body, message_id), handle, self.dead_letter, rejected=Outcome.REJECTED, what="deploy request",
            metric="DeployRequestsRejected",
        )  # fmt: skip

    # ------------------------------------------------------------------ promote (and redeploy)
    def promote(self, request: DeployRequest) -> Outcome:
        group, version, stage = request.model_group, request.model_version, request.stage
        record = self.store.load_version(group, version).records.get(stage)
        if record is None or record.deployment.status is not DeployState.REQUESTED:
            logger.info("deploy request already handled", model_group=group, model_version=version, stage=stage)
            return Outcome.SKIPPED
        target = self.targets.get(stage)
        previous_stage = self.config.previous_stage(stage)
        if target is None or previous_stage is None:
            return self._refuse(request, f"stage {stage} has no deployment target")
        described = self._describe(record.model_package_arn)
        pkg = snapshot_from_describe(described)
        if not approved_in(pkg, previous_stage, self.config):
            reason = f"version {version} is not approved in {previous_stage} in the registry ({registry_state(pkg)})"
            return self._refuse(request, reason)
        try:
            result = self._kick(target, pkg, described, record)
        except (PermanentAwsError, ValueError) as exc:
            reason = str(exc)
            self._update(request, lambda d: kick_failed(d, reason, self.now()), "deploy-failed")
            metrics.add_metric(name="DeploysFailed", unit=MetricUnit.Count, value=1)
            raise RejectedEvent(f"deploy of {group}/{version} to {stage} failed: {reason}") from exc
        action = record.deployment.action or Action.PROMOTE

        def record_kick(current: Deployment) -> Deployment | None:
            if current.status is DeployState.KICKED:
                return None
            if current.status in (DeployState.LIVE, DeployState.FAILED):  # the state change came first
                described = {k: v for k, v in result.items() if k not in ("endpoint_status", "failure_reason")}
                return replace(current.with_result(described), kicked_at=self.now())
            now = self.now()
            return settled(kicked(current, result, action=action, now=now, event_id=request.event_id), now)

        written = self._update(request, record_kick, "deploy-kicked")
        current = written[stage].deployment if written else Deployment()
        if current.status is DeployState.LIVE and isinstance(result.get("previous_version"), int):
            # live before the kick was written: the status function could not know what it replaced
            replaced = Replacement(result.get("endpoint_name", ""), result["previous_version"], version)
            supersede_previous(self.store, group, stage, replaced, event_id=request.event_id, actor=ACTOR,
                               now=self.now())  # fmt: skip
        logger.info("deployment kicked", model_group=group, model_version=version, stage=stage, **_loggable(result))
        metrics.add_metric(name="DeploysKicked", unit=MetricUnit.Count, value=1)
        return Outcome.KICKED

    def _kick(self, target: Target, pkg: PackageSnapshot, described: dict, record: StageRecord) -> dict[str, Any]:
        strategy = self.strategies.get(target.strategy)
        if strategy is None:
            raise ValueError(f"no deployer for strategy {target.strategy}")
        spec = strategy.spec(pkg, described, target)
        spec["artifacts"] = [
            {"source_uri": a.get("source_uri"), "central_uri": a.get("central_uri"), "checksum": a.get("checksum")}
            for a in record.artifacts
        ]
        return strategy.kick(target, spec)

    def _describe(self, arn: str) -> dict[str, Any]:
        parsed = PackageArn.parse(arn)
        return self.registry.describe_package(arn, parsed.region if parsed else self.settings.region)

    def _refuse(self, request: DeployRequest, reason: str) -> Outcome:
        logger.warning("deploy refused", reason=reason, model_group=request.model_group, stage=request.stage)
        metrics.add_metric(name="DeploysRefused", unit=MetricUnit.Count, value=1)
        self._update(request, lambda d: refused(d, reason, self.now()), "deploy-refused")
        return Outcome.REFUSED

    # ------------------------------------------------------------------ rollback
    def rollback(self, request: DeployRequest) -> Outcome:
        """Redeploy the newest earlier version live in the stage, then mark the rejected one. Each
        step is idempotent, so a redelivered request finishes what an interrupted one started."""
        group, version, stage = request.model_group, request.model_version, request.stage
        rejected = self.store.load_version(group, version).records.get(stage)
        if rejected is None or rejected.deployment.rollback_state is not RollbackState.REQUESTED:
            return Outcome.SKIPPED
        candidates = self.store.group_records_in_stage(group, stage, ROLLBACK_CANDIDATE_STATUSES, version)
        candidate = rollback_candidate(candidates, version)
        reason = None if candidate else f"no earlier version of {group} was live in {stage}"
        if candidate is not None and candidate.deployment.rolled_back_from != version:
            previous_stage = self.config.previous_stage(stage) or stage
            pkg = snapshot_from_describe(self._describe(candidate.model_package_arn))
            if not approved_in(pkg, previous_stage, self.config):
                reason = f"version {candidate.model_version} is no longer approved in {previous_stage}"
            else:
                target, now = self.targets[stage], self.now()
                self._update_record(
                    DeployRequest(Action.ROLLBACK, group, candidate.model_version, stage, request.event_id),
                    lambda r: rollback_request(r, target, version, now),
                    "rollback-requested",
                )
        if candidate is None or reason is not None:
            self._update(request, lambda d: rollback_done(d, RollbackState.NONE, None, reason, self.now()),
                         "rollback-none")  # fmt: skip
            logger.warning("nothing to roll back to", reason=reason, model_group=group, stage=stage)
            return Outcome.NO_ROLLBACK
        self.promote(DeployRequest(Action.PROMOTE, group, candidate.model_version, stage, request.event_id))
        to_version = candidate.model_version
        self._update(
            request,
            lambda d: rollback_done(d, RollbackState.KICKED, to_version, f"{stage} rejected", self.now()),
            "rolled-back",
        )
        logger.info("rolled back", model_group=group, stage=stage, rejected=version, to_version=to_version)
        metrics.add_metric(name="Rollbacks", unit=MetricUnit.Count, value=1)
        return Outcome.ROLLED_BACK

    # ------------------------------------------------------------------ helpers
    def _update(
        self, request: DeployRequest, change: Callable[[Deployment], Deployment | None], action: str
    ) -> dict[str, StageRecord] | None:
        """Change the deployment of the request's stage record; the records written."""

        def apply(record: StageRecord) -> StageRecord | None:
            updated = change(record.deployment)
            return None if updated is None else replace(record, deployment=updated)

        return self._update_record(request, apply, action)

    def _update_record(
        self, request: DeployRequest, change: Callable[[StageRecord], StageRecord | None], action: str
    ) -> dict[str, StageRecord] | None:
        """Change the request's stage record (one transaction with its audit entry); the records written."""

        def apply(records: dict[str, StageRecord]) -> dict[str, StageRecord] | None:
            record = records.get(request.stage)
            updated = change(record) if record is not None else None
            return None if updated is None else {**records, request.stage: updated}

        audit = Audit(request.event_id, ACTOR, action, self.now())
        return update_records(self.store, request.model_group, request.model_version, apply, audit)


def _loggable(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if isinstance(v, str | int)}
