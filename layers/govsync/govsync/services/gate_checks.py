"""The policy gates as every door asks them: the deploy function before each kick, the API's and the
CLI's `gates` (`GateQueries`, which change nothing). One `GateChecks` holds the policy in force and the settings the
rules read (the stage chain, the approvers each risk tier takes, who may decide in the registry)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from govsync.domain.approvals import ApprovalRules
from govsync.domain.arns import PackageArn
from govsync.domain.errors import ConfigurationProblem, GovsyncError, Refused
from govsync.domain.gate_results import GateReport
from govsync.domain.package import PackageSnapshot
from govsync.domain.records import APPROVED, StageRecord
from govsync.domain.registry_decisions import Approvers
from govsync.domain.stages import StageConfig
from govsync.observability import MetricUnit, logger, metrics
from govsync.services.ports import RegistryDecisions, Store

if TYPE_CHECKING:  # the rules load with the first check: a function that never checks never loads them
    from govsync.gates.policy import Policy


@dataclass(frozen=True, slots=True)
class GateChecks:
    """`policy`: the policy in force, or None when the one configured could not be read (`problem` says
    why): then every check raises ConfigurationProblem, so no deployment goes ahead without its gates
    and each deploy request is kept in the dead-letter queue, with the reason, for a redrive."""

    policy: Policy | None
    config: StageConfig
    approvals: ApprovalRules
    approvers: Approvers
    problem: str = ""

    def report(
        self, package: PackageSnapshot, records: Mapping[str, StageRecord], stage: str, now: datetime
    ) -> GateReport:
        """Every rule's result for deploying `package` (its version's `records`, as just read) into `stage`."""
        if self.policy is None:
            raise ConfigurationProblem(self.problem, code="InvalidGatePolicy", action="ReadGatePolicy")
        from govsync.gates import GateContext, evaluate

        context = GateContext(package, records, stage, self.config, now, self.approvals, self.approvers)
        return evaluate(context, self.policy)


def reject_in_registry(
    registry: RegistryDecisions, config: StageConfig, stage: str, pkg: PackageSnapshot, reasons: str
) -> None:
    """A failing rule with `on_fail: reject`: the approval a deployment into `stage` rests on is set back
    to Rejected in the registry, with the reasons as its description (the registry's event brings it
    back). A failure to do so is logged: the deployment stays blocked either way."""
    approved_in = config.previous_stage(stage) or stage
    lifecycle_stage = None if approved_in == config.first else approved_in
    try:
        registry.record_decision(pkg.arn, pkg.region, lifecycle_stage=lifecycle_stage, status="Rejected",
                                 comment=f"govsync policy gates: {reasons}"[:1000])  # fmt: skip
    except GovsyncError as exc:
        logger.warning("could not set the registry's decision back to Rejected", error=str(exc))
        return
    logger.info("registry decision set back to Rejected by the policy gates", stage=approved_in)
    metrics.add_metric(name="GateRejections", unit=MetricUnit.Count, value=1)


@dataclass(frozen=True, slots=True)
class GateQueries:
    """The gates as a person asks them (the API's and the CLI's `gates`): what they would say now about
    deploying a version into a stage, and what they said at its last deployment. Changes nothing."""

    checks: GateChecks
    store: Store
    registry: RegistryDecisions
    clock: Callable[[], datetime]
    region: str

    def check(self, group: str, version: int, stage: str | None = None) -> dict[str, Any]:
        """Raises Refused: 404 no such version, 400 a stage with nothing to deploy into it."""
        config = self.checks.config
        records = self.store.load_version(group, version).records
        if not records:
            raise Refused(404, f"no governance record for {group} version {version}")
        stage = stage or next_stage(records, config)
        if stage not in config.stages or config.previous_stage(stage) is None:
            later = ", ".join(config.stages[1:])
            raise Refused(400, f"stage: {stage!r} is not a stage a version is deployed into ({later})")
        arn = next(iter(records.values())).model_package_arn
        parsed = PackageArn.parse(arn)
        pkg = self.registry.describe_package(arn, parsed.region if parsed else self.region)
        report = self.checks.report(pkg, records, stage, self.clock())
        recorded = records[stage].gates if stage in records else None
        return {"model_group": group, "model_version": version, **report.to_json(),
                "blocked": not report.passed, "reasons": report.reasons(),
                "recorded": recorded.to_json() if recorded else None}  # fmt: skip


def next_stage(records: Mapping[str, StageRecord], config: StageConfig) -> str:
    """The stage a version would be deployed into next: the one after the last stage approved (the
    second stage when none is)."""
    approved = [s for s in config.stages if s in records and records[s].model_status == APPROVED]
    following = config.next_stage(approved[-1]) if approved else None
    return following or (config.stages[-1] if approved else config.stages[min(1, len(config.stages) - 1)])
