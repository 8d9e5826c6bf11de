"""Separation of duties: no approver of any stage is the person who registered the version (both sides
through the one identity mapping), whichever door the approval came through."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from govsync.domain.decisions import APPLIED, APPROVE
from govsync.domain.identity import decider_names, decision_names, identity_names
from govsync.domain.records import APPROVED
from govsync.gates.rule import Check, Rule

if TYPE_CHECKING:
    from govsync.gates import GateContext


class SeparationOfDuties(Rule):
    rule: Literal["separation_of_duties"] = "separation_of_duties"

    def check(self, context: GateContext) -> Check:
        mapping = context.identity_map
        registrant = context.package.created_by
        registrant_names = identity_names(registrant, mapping)
        for stage in context.config.stages:
            record = context.records.get(stage)
            if record is None:
                continue
            approvers: list[tuple[str, set[str]]] = [
                (d.by, decision_names(d, mapping))
                for d in record.decisions
                if d.decision == APPROVE and d.state == APPLIED
            ]
            decided = record.registry_decision
            if decided is not None and decided.status == APPROVED:
                approvers += [(name, decider_names(name, mapping)) for name in decided.by]
            for name, names in approvers:
                if names & registrant_names:
                    return Check(False, f"{name} registered this version (CreatedBy {registrant}) and approved "
                                        f"{stage}", value=name)  # fmt: skip
        return Check(True, f"no approver is the registrant ({registrant})", value=registrant)
