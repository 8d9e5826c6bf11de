"""Approvers: the approval that promotes the version into the stage was made by as many distinct
persons as `ApprovalRules` asks for its risk tier. Through govsync, each approver is a person; through
the registry itself, the IAM identity that decided counts as one person, and only when it may decide
(`domain.registry_decisions`): an approval by the registrant or by another account's identity counts
for nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from govsync.domain.identity import distinct_people
from govsync.domain.records import APPROVED
from govsync.gates.rule import Check, Rule

if TYPE_CHECKING:
    from govsync.gates import GateContext


class Approvers(Rule):
    rule: Literal["approvers"] = "approvers"

    def check(self, context: GateContext) -> Check:
        stage = context.approved_in
        record = context.records.get(stage)
        required = context.approvals.required(stage, context.risk_value)
        decided = record.registry_decision if record else None
        if decided is None or decided.status != APPROVED:
            return Check(False, f"no approval of {stage} is recorded", value=f"0 of {required}")
        if not decided.authorized:
            return Check(False, f"the approval of {stage} counts for nothing: {decided.reason}",
                         value=f"0 of {required}")  # fmt: skip
        people = distinct_people(decided.by, context.identity_map)
        counted = f"{len(people)} of {required}: {', '.join(people)}"
        if len(people) < required:
            tier = context.risk_tier or repr(context.risk_value)
            reason = f"{stage} takes {required} distinct approvers for risk tier {tier}; it has {len(people)}"
            return Check(False, reason, value=counted)
        return Check(True, f"{stage} approved by {len(people)} distinct approver(s), {required} required",
                     value=counted)  # fmt: skip
