"""Deploy function's service: take a deploy request, check the registry still approves the version, pass the policy
gates, kick the stage's strategy in the stage's account, and record the kick.

A kick never deploys a version the registry does not approve for the stage (refused, the record says why), nor one
that fails a policy gate at that moment (`blocked`, the record's `gates` says which rules failed and why; a rule
whose `on_fail` is `reject` also sets the registry's decision back to Rejected, with the reasons). A failure that
cannot heal (role assumption denied, no instance type, a missing pipeline) marks the record `deploy_failed` and
dead-letters the request; a transient one fails the message so SQS redelivers it; an endpoint being updated is
waited for (`services.update_waits`). Kicks are idempotent: deterministic names and request tokens make a retried
kick find what an earlier one made. Retired stages' teardowns are `services.retirement`'s."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from govsync.domain.arns import PackageArn, version_arn
from govsync.domain.deploy_requests import DeployRequest, Outcome, parse_deploy_request
from govsync.domain.deployment import (
    Action,
    Deployment,
    DeployState,
    RollbackState,
    after_kick,
    blocked,
    kick_failed,
    overtaken,
    refused,
    rollback_done,
)
from govsync.domain.errors import EndpointBusy, PermanentAwsError, RejectedEvent, RetryableError
from govsync.domain.gate_results import GateReport
from govsync.domain.kicks import KickResult
from govsync.domain.package import PackageSnapshot
from govsync.domain.promotion import TargetVersion, deployable_in, first_record_in_stage, newest_first, registry_state
from govsync.domain.records import APPROVED, Records, StageRecord
from govsync.domain.rollback import rollback_request
from govsync.domain.targets import Target, as_kicked
from govsync.observability import MetricUnit, logger, metrics
from govsync.services.deployment_status import Replacement, supersede_previous
from govsync.services.gate_checks import GateChecks, reject_in_registry
from govsync.services.messages import Consumer, Message
from govsync.services.ports import DelayedQueue, Deployer, RegistryDecisions
from govsync.services.retirement import Teardowns
from govsync.services.update_waits import wait_for_update
from govsync.services.updates import Audit, update_stage_record
from govsync.settings import DeploySettings

ACTOR = "govsync-deploy"
type RecordChange = Callable[[StageRecord], StageRecord | None]
ALL_VERSIONS = range(10**10)  # every model package version (SageMaker's have at most 10 digits)


@dataclass(kw_only=True)
class Deployments(Consumer):
    settings: DeploySettings
    registry: RegistryDecisions
    strategies: Mapping[str, Deployer]
    gates: GateChecks
    waits: DelayedQueue | None = None  # the deploy queue: a kick whose endpoint is being updated comes back

    def handle_message(self, body: str, message_id: str, receive_count: int = 1) -> Outcome:
        def handle(message: Message) -> Outcome:
            request = parse_deploy_request(message.body, self.config.stages)
            message.identify(request.event_id or None)
            if request.action is Action.RETIRE:
                teardowns = Teardowns(self.store, self.strategies, self.targets, self.clock)
                return Outcome.RETIRED if teardowns.tear_down(request) else Outcome.SKIPPED
            try:
                return self._open(request, rejected=request.action is Action.ROLLBACK)
            except EndpointBusy as busy:
                return wait_for_update(self.waits, message.body, busy, self.clock(), self.settings.update_wait_seconds)

        return self.consume(Message(body, message_id, receive_count), handle, rejected=Outcome.REJECTED,
                            what="deploy request", metric="DeployRequestsRejected")  # fmt: skip

    # ------------------------------------------------------------------ converge
    def _open(self, request: DeployRequest, *, rejected: bool) -> Outcome:
        """A version approved into a stage: the stage converges (its endpoint on the newest version the
        registry lets serve there), this version's request is then kicked, or overtaken. A live version
        rejected (`rejected`): the stage converges on the newest version still allowed there (an earlier
        one, or none), or on this one again when the registry approved it again since."""
        records = self.store.load_version(request.model_group, request.model_version).records
        deployment = records[request.stage].deployment if request.stage in records else None
        if deployment is None or (deployment.rollback_state is not RollbackState.REQUESTED if rejected
                                  else deployment.status is not DeployState.REQUESTED):  # fmt: skip
            logger.info("deploy request already handled")
            return Outcome.SKIPPED
        return self._converge(request, records, rejected=rejected)

    def _converge(self, request: DeployRequest, records: Records, *, rejected: bool) -> Outcome:
        """`records`: the request's version's records, as just read. Each package is described once."""
        record = records[request.stage]
        group, version, stage, arn = request.model_group, request.model_version, request.stage, record.model_package_arn
        described: dict[str, PackageSnapshot] = {}
        logger.append_keys(model_group=group, model_version=version, stage=stage)
        target, previous_stage = self.targets.get(stage), self.config.previous_stage(stage)
        if target is None or previous_stage is None:
            return self._refuse(request, f"stage {stage} has no deployment target")
        desired, own_blocked = self._desired(group, stage, version, arn, described, records)
        if own_blocked is not None and not rejected:  # the stage still converges on what may serve there
            if desired is not None:
                self._ensure_serving(desired, target, request, described, rolled_back_from=None)
            return self._block(request, own_blocked, self._describe(arn, described))
        if desired is None or (not rejected and desired.version < version):
            if rejected:
                return self._no_rollback(request, f"no earlier version of {group} is approved for {stage}")
            pkg = self._describe(arn, described)
            reason = f"version {version} is not approved in {previous_stage} in the registry ({registry_state(pkg)})"
            return self._refuse(request, reason)
        shadow_off = rejected and record.deployment.status is DeployState.SHADOW  # a rejected shadow: taken off
        rolled_back_from = version if rejected else None
        outcome = self._ensure_serving(desired, target, request, described, rolled_back_from=rolled_back_from,
                                       shadow_off=shadow_off)  # fmt: skip
        if not rejected:
            if desired.version != version:  # a newer version is approved: this request will not run
                self._update(request, lambda d: overtaken(d, desired.version, self.now()), "deploy-overtaken")
                metrics.add_metric(name="DeploysOvertaken", unit=MetricUnit.Count, value=1)
                return Outcome.SUPERSEDED
            return outcome
        if desired.version == version:  # approved again before the rollback ran: it stays
            reason = f"version {version} is approved for {stage} again"
            self._update(request, lambda d: rollback_done(d, RollbackState.CANCELLED, None, reason, self.now()),
                         "rollback-cancelled")  # fmt: skip
            return Outcome.SKIPPED
        to_version = desired.version
        self._update(
            request,
            lambda d: rollback_done(d, RollbackState.KICKED, to_version, f"{stage} rejected", self.now()),
            "rolled-back",
        )
        logger.info("rolled back", rejected=version, to_version=to_version)
        metrics.add_metric(name="Rollbacks", unit=MetricUnit.Count, value=1)
        return Outcome.ROLLED_BACK

    def _desired(self, group: str, stage: str, version: int, arn: str, described: dict[str, PackageSnapshot],
                 own_records: Records) -> tuple[TargetVersion | None, GateReport | None]:  # fmt: skip
        """The newest version of the group that may serve in `stage`: the registry lets it (approved in
        the stage before, not rejected in this one) and every policy gate passes for it now. The table
        names the candidates, the registry and the gates decide. Also the gates' report on the request's
        own version when the registry lets it serve but a gate does not."""
        previous = self.config.previous_stage(stage) or stage
        approved = self.store.group_records_in_stage(group, previous, (APPROVED,), ALL_VERSIONS, newest_first=True)
        own_blocked: GateReport | None = None
        # newest first, read as they are tried: the first one that may serve ends the search
        for candidate, candidate_arn in newest_first(approved, (version, arn)):
            pkg = self._describe(candidate_arn, described)
            if not deployable_in(pkg, stage, self.config):
                continue
            records = own_records if candidate == version else self.store.load_version(group, candidate).records
            report = self.gates.report(pkg, records, stage, self.clock())
            if report.passed:
                return TargetVersion(candidate, pkg, records, report), own_blocked
            if candidate == version:
                own_blocked = report
            elif report.waits_for_event:  # its sync would not ask for this stage again: wait for it here
                raise RetryableError(f"version {candidate}'s last registry change is on its way: {stage} converges "
                                     "once its event is applied")  # fmt: skip
        return None, own_blocked

    def _ensure_serving(self, desired: TargetVersion, target: Target, request: DeployRequest,
                        described: dict[str, PackageSnapshot], *, rolled_back_from: int | None,
                        shadow_off: bool = False) -> Outcome:  # fmt: skip
        """Kick `desired` unless the stage already serves it (or a newer version the registry allows)."""
        group, stage, version, records = request.model_group, request.stage, desired.version, desired.records
        arn = desired.pkg.arn
        existing = records.get(stage)
        serving = self._serving(target, request)
        if serving is not None and serving > version:
            served = self._describe(version_arn(arn, serving), described)
            # a concurrent kick put a newer version there (never the rejected one a rollback takes off: its
            # registry state may say approved again, by someone whose decision counts for nothing)
            if serving != rolled_back_from and deployable_in(served, stage, self.config):
                own = DeployRequest(request.action, group, version, stage, request.event_id)
                self._update(own, lambda d: overtaken(d, serving, self.now()) if d.status is DeployState.REQUESTED
                             else None, "deploy-overtaken")  # fmt: skip
                return Outcome.SUPERSEDED
            if serving != rolled_back_from:  # taken off: its re-approval (a later change) asks for it again
                reason = f"the registry no longer lets version {serving} serve in {stage} ({registry_state(served)})"
                taken_off = DeployRequest(Action.ROLLBACK, group, serving, stage, request.event_id)
                live = (DeployState.KICKED, DeployState.LIVE)
                self._update(taken_off, lambda d: rollback_done(d, RollbackState.KICKED, version, reason, self.now())
                             if d.status in live else None, "rolled-back")  # fmt: skip
        status = existing.deployment.status if existing else None
        if status is DeployState.SHADOW and rolled_back_from is None:
            logger.info("the version runs as a shadow: the stage's approval promotes it", shadow_of=serving)
            return Outcome.SKIPPED
        # a rejected shadow is taken off by the live version's own config, though that version serves already
        if status in (DeployState.KICKED, DeployState.LIVE) and serving in (None, version) and not shadow_off:
            logger.info("the stage already serves the version it should", serving=version)
            return Outcome.SKIPPED
        action = Action.ROLLBACK if rolled_back_from is not None and version < rolled_back_from else Action.PROMOTE
        own = DeployRequest(action, group, version, stage, request.event_id)
        if existing is not None and status is DeployState.REQUESTED:
            record = existing
        else:
            base = existing or first_record_in_stage(records[self.config.previous_stage(stage) or stage], stage)
            now = self.now()
            audit_action = "rollback-requested" if action is Action.ROLLBACK else "deploy-requested"
            written = self._update_record(own, lambda r: rollback_request(r, target, rolled_back_from, now, action),
                                          audit_action, create=base)  # fmt: skip
            record = (written or self.store.load_version(group, version).records)[stage]
        return self._kick_requested(own, target, desired, record)

    def _serving(self, target: Target, request: DeployRequest) -> int | None:
        """What the stage's endpoint serves now; a failure that cannot heal fails the deployment."""
        strategy = self.strategies.get(target.strategy)
        try:
            return strategy.serving(target, request.model_group) if strategy else None
        except PermanentAwsError as exc:
            self._fail(request, str(exc))
            raise RejectedEvent(f"deploy of {request.model_group} to {request.stage} failed: {exc}") from exc

    def _fail(self, request: DeployRequest, reason: str) -> None:
        self._update(request, lambda d: kick_failed(d, reason, self.now()), "deploy-failed")
        metrics.add_metric(name="DeploysFailed", unit=MetricUnit.Count, value=1)

    def _kick_requested(self, request: DeployRequest, target: Target, desired: TargetVersion,
                        record: StageRecord) -> Outcome:  # fmt: skip
        """Kick the requested deployment of `record` (the request's stage record, as last read or written),
        which the policy gates passed a moment ago (`desired.gates`)."""
        group, version, stage = request.model_group, request.model_version, request.stage
        report = desired.gates
        try:
            result = self._kick(target, desired.pkg, record)
        except (PermanentAwsError, ValueError) as exc:
            self._fail(request, str(exc))
            raise RejectedEvent(f"deploy of {group}/{version} to {stage} failed: {exc}") from exc
        action = record.deployment.action or Action.PROMOTE
        now = self.now()

        def kicked_with_gates(r: StageRecord) -> StageRecord | None:
            deployment = after_kick(r.deployment, result, action=action, now=now, event_id=request.event_id)
            return None if deployment is None else replace(r, gates=report, deployment=deployment)

        written = self._update_record(request, kicked_with_gates, "deploy-kicked")
        current = written[stage].deployment if written else Deployment()
        if current.status is DeployState.LIVE and result.previous_version is not None:
            # live before the kick was written: the status function could not know what it replaced
            replaced = Replacement(result.endpoint_name or "", result.previous_version, version)
            supersede_previous(self.store, group, stage, replaced, event_id=request.event_id, actor=ACTOR,
                               now=self.now())  # fmt: skip
        logger.info("deployment kicked", model_group=group, model_version=version, stage=stage, **result.to_json())
        metrics.add_metric(name="DeploysKicked", unit=MetricUnit.Count, value=1)
        return Outcome.KICKED

    def _block(self, request: DeployRequest, report: GateReport, pkg: PackageSnapshot) -> Outcome:
        """A gate failed: nothing is kicked; the record keeps the results and the deployment says why."""
        reasons, now = report.reasons(), self.now()
        self._update_record(request, lambda r: replace(r, gates=report, deployment=blocked(r.deployment, reasons, now)),
                            "deploy-blocked")  # fmt: skip
        logger.warning("deploy blocked by the policy gates", reasons=reasons, policy_version=report.policy_version)
        metrics.add_metric(name="DeploysBlocked", unit=MetricUnit.Count, value=1)
        if report.rejects:
            reject_in_registry(self.registry, self.config, request.stage, pkg, reasons)
        return Outcome.BLOCKED

    def _kick(self, target: Target, pkg: PackageSnapshot, record: StageRecord) -> KickResult:
        strategy = self.strategies.get(target.strategy)
        if strategy is None:
            raise ValueError(f"no deployer for strategy {target.strategy}")
        target = as_kicked(target, rollback=record.deployment.action is Action.ROLLBACK,
                           shadow_approved=record.deployment.approved_in == target.stage)  # fmt: skip
        spec = replace(strategy.spec(pkg, target), artifacts=tuple(record.artifacts))
        return strategy.kick(target, spec)

    def _describe(self, arn: str, described: dict[str, PackageSnapshot]) -> PackageSnapshot:
        """DescribeModelPackage, once per package for one request (`described` keeps the answers)."""
        if arn not in described:
            parsed = PackageArn.parse(arn)
            described[arn] = self.registry.describe_package(arn, parsed.region if parsed else self.settings.region)
        return described[arn]

    def _refuse(self, request: DeployRequest, reason: str) -> Outcome:
        logger.warning("deploy refused", reason=reason, model_group=request.model_group, stage=request.stage)
        metrics.add_metric(name="DeploysRefused", unit=MetricUnit.Count, value=1)
        self._update(request, lambda d: refused(d, reason, self.now()), "deploy-refused")
        return Outcome.REFUSED

    def _no_rollback(self, request: DeployRequest, reason: str) -> Outcome:
        self._update(request, lambda d: rollback_done(d, RollbackState.NONE, None, reason, self.now()), "rollback-none")
        logger.warning("nothing to roll back to", reason=reason)
        return Outcome.NO_ROLLBACK

    def _update(self, request: DeployRequest, change: Callable[[Deployment], Deployment | None],
                action: str) -> dict[str, StageRecord] | None:  # fmt: skip
        """Change the deployment of the request's stage record; the records written."""

        def apply(record: StageRecord) -> StageRecord | None:
            updated = change(record.deployment)
            return None if updated is None else replace(record, deployment=updated)

        return self._update_record(request, apply, action)

    def _update_record(self, request: DeployRequest, change: RecordChange, action: str,
                       create: StageRecord | None = None) -> dict[str, StageRecord] | None:  # fmt: skip
        """Change the request's stage record (`create`: where the stage has none yet); the records written."""
        audit = Audit(request.event_id, ACTOR, action, self.now())
        where = (request.model_group, request.model_version, request.stage)
        return update_stage_record(self.store, where, change, audit, create)
