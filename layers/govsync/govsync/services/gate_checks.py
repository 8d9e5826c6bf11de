"""The policy gates as every door asks them: the deploy function before each kick, the API's and the
CLI's `gates` (which change nothing). One `GateChecks` holds the policy in force and the settings the
rules read (the stage chain, the approvers each risk tier takes, who may decide in the registry)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from govsync.domain.approvals import ApprovalRules
from govsync.domain.errors import ConfigurationProblem, GovsyncError
from govsync.domain.gate_results import GateReport
from govsync.domain.package import PackageSnapshot
from govsync.domain.records import StageConfig, StageRecord
from govsync.domain.registry_decisions import Approvers
from govsync.gates import GateContext, evaluate
from govsync.gates.policy import Policy
from govsync.observability import MetricUnit, logger, metrics
from govsync.services.ports import RegistryDecisions


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
