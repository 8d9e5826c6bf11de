"""Policy gates: the rules a version must pass, at that moment, before any deployment is kicked into a
stage, whichever door its decisions came through.

A rule is one module of this package behind one protocol (`Rule`, in `gates.rule`): given what is known
at the moment of deciding (`GateContext`: the package as the registry just described it, the version's
stage records, the stage about to be deployed and the settings that say who may decide), it answers a
`Check` (pass or fail, the value it saw, why). The policy (`gates.policy`: a versioned YAML document,
shipped as `gates/policy.yaml`, which an SSM parameter may replace) says which rules are in force, for
which stages and risk tiers, and what a failure does (`block`, or `reject`: the registry's decision is
set back to Rejected). `evaluate` runs them all (a failing rule does not hide the ones after it, so a
blocked deployment names every reason at once). Rules are pure: no AWS call, no clock but the context's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from govsync.domain.approvals import ApprovalRules
from govsync.domain.approvals import risk_tier as tier_named  # `risk_tier` names the rule module here
from govsync.domain.gate_results import RECORDS_CURRENT, GateOutcome, GateReport, GateResult
from govsync.domain.package import PackageSnapshot
from govsync.domain.records import StageRecord
from govsync.domain.registry_decisions import Approvers
from govsync.domain.stages import StageConfig
from govsync.gates.policy import Policy


@dataclass(frozen=True, slots=True)
class GateContext:
    """What a rule decides from: the package as just described, the version's records by stage, the
    stage the deployment goes to, the rules for approvers and who may decide, and when."""

    package: PackageSnapshot
    records: Mapping[str, StageRecord]
    stage: str
    config: StageConfig
    now: datetime
    approvals: ApprovalRules = field(default_factory=ApprovalRules)
    approvers: Approvers = field(default_factory=Approvers)

    @property
    def approved_in(self) -> str:
        """The stage whose approval promotes the version into `stage`."""
        return self.config.previous_stage(self.stage) or self.stage

    @property
    def record(self) -> StageRecord | None:
        """The version's record in the stage it was approved in (what the deployment rests on)."""
        return self.records.get(self.approved_in) or self.records.get(self.stage)

    @property
    def identity_map(self) -> Mapping[str, str]:
        return self.approvers.identity_map or {}

    @property
    def risk_value(self) -> str | None:
        """The version's ModelRisk as recorded."""
        record = self.record
        return record.model_risk if record else None

    @property
    def risk_tier(self) -> str | None:
        """The configured tier ModelRisk names, or None (see `domain.approvals.risk_tier`)."""
        return tier_named(self.risk_value, self.approvals.risk_tiers)


def records_current(context: GateContext) -> GateResult:
    """The check every policy starts with: the records the rules read hold the package as the registry
    describes it now. A change whose event is still on its way (a decision made again, by whom?) may
    change what they say: the deployment waits for it (its sync asks for the deployment again)."""
    record = context.record
    recorded = record.registry_last_modified if record else None
    now = context.package.last_modified_time.isoformat()
    if recorded != now:
        reason = f"the registry changed the version at {now}, after the records' {recorded}: waiting for its event"
        return GateResult(RECORDS_CURRENT, GateOutcome.FAIL, reason, now)
    return GateResult(RECORDS_CURRENT, GateOutcome.PASS, "the records hold the registry's last change", now)


def evaluate(context: GateContext, policy: Policy) -> GateReport:
    """`records_current`, then every rule of the policy, in order: skipped where the rule's stages or
    risk tiers leave this deployment out (a version whose risk names no tier is never left out), else
    its check."""
    results = [records_current(context)]
    for rule in policy.rules:
        skip = rule.skipped(context.stage, context.risk_tier)
        if skip is not None:
            results.append(GateResult(rule.rule, GateOutcome.SKIP, skip, on_fail=rule.on_fail))
            continue
        check = rule.check(context)
        outcome = GateOutcome.PASS if check.passed else GateOutcome.FAIL
        results.append(GateResult(rule.rule, outcome, check.reason, check.value, rule.on_fail))
    return GateReport(context.stage, policy.version, context.now.isoformat(), tuple(results))
