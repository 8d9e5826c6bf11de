"""People's decisions on a stage: who may decide, how many approvers a stage needs, what a decision
asks of the registry, and whose name the record takes when the registry's event comes back. A
decision, as its stage record keeps it, and its states: `domain.decisions`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from govsync.domain.decisions import APPROVE, COLLECTED, REJECT, SENT, Decision
from govsync.domain.errors import Refused
from govsync.domain.identity import (
    canonical,
    decider_names,
    distinct_people,
    is_registrant,
    is_same_approver,
    person_names,
)
from govsync.domain.people import Person
from govsync.domain.promotion import first_record_in_stage
from govsync.domain.records import APPROVED, REJECTED, Records, StageRecord
from govsync.domain.stages import StageConfig

DECISIONS = (APPROVE, REJECT)
STATUS_OF = {APPROVE: APPROVED, REJECT: REJECTED}

# risk tier -> stage -> approvers required; the default: a high-risk version needs two distinct
# approvers for the decision that promotes it into production (approving its `test` stage)
DEFAULT_APPROVAL_RULES: dict[str, dict[str, int]] = {"high": {"test": 2}}
# the risk tiers a version's ModelRisk may name
DEFAULT_RISK_TIERS = ("high", "medium", "low")


def risk_tier(value: str | None, tiers: Sequence[str]) -> str | None:
    """The configured tier `value` names, compared after NFKC normalisation and case folding (`High`
    and its full-width form name `high`); None for anything else (a homoglyph, an invisible character,
    nothing)."""
    wanted = canonical(value or "")
    return next((tier for tier in tiers if canonical(tier) == wanted), None) if wanted else None


@dataclass(frozen=True, slots=True)
class ApprovalRules:
    tiers: dict[str, dict[str, int]] = field(default_factory=lambda: dict(DEFAULT_APPROVAL_RULES))
    default: int = 1
    risk_tiers: tuple[str, ...] = DEFAULT_RISK_TIERS

    @classmethod
    def parse(cls, value: Mapping[str, Any], risk_tiers: Sequence[str] = DEFAULT_RISK_TIERS) -> ApprovalRules:
        """`{"high": {"test": 2}, "*": {"production": 1}}`: a key names one of `risk_tiers` (compared as
        `risk_tier` compares), `*` any tier."""
        tiers: dict[str, dict[str, int]] = {}
        for tier, stages in value.items():
            named = "*" if tier == "*" else risk_tier(str(tier), risk_tiers)
            if named is None:
                raise ValueError(f"risk tier {tier!r} is not one of the risk tiers ({', '.join(risk_tiers)})")
            if not isinstance(stages, Mapping):
                raise ValueError(f"risk tier {tier!r}: want an object of stage -> approvers")
            for stage, count in stages.items():
                if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 10:
                    raise ValueError(f"{tier}.{stage}: approvers must be a whole number from 1 to 10, not {count!r}")
            tiers[named] = {str(s): int(n) for s, n in stages.items()}
        return cls(tiers=tiers, risk_tiers=tuple(risk_tiers))

    def stages(self) -> set[str]:
        return {stage for stages in self.tiers.values() for stage in stages}

    def required(self, stage: str, risk: str | None) -> int:
        """The approvers `stage` takes for a version of risk tier `risk` (see `risk_tier`); a value that
        names no tier takes the most any tier takes for the stage, never fewer."""
        tier = risk_tier(risk, self.risk_tiers)
        if tier is None:
            counts = [stages[stage] for stages in self.tiers.values() if stage in stages]
            return max([self.default, *counts])
        for key in (tier, "*"):
            if stage in self.tiers.get(key, {}):
                return self.tiers[key][stage]
        return self.default


@dataclass(frozen=True, slots=True)
class Ask:
    """One person's decision on one stage, as asked."""

    decision_id: str
    stage: str
    decision: str
    comment: str
    person: Person
    at: str
    against: str  # the package's LastModifiedTime now

    def entry(self, state: str) -> Decision:
        return Decision(
            id=self.decision_id,
            decision=self.decision,
            by=self.person.name,
            username=self.person.username,
            email=self.person.email,
            comment=self.comment,
            at=self.at,
            against=self.against,
            state=state,
        )


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a decision comes to: `collected` (more approvers needed) or `sent` (to the registry)."""

    outcome: str
    record: StageRecord  # the stage record with the decision stored on it
    approvers: tuple[str, ...]
    required: int


def approvals(record: StageRecord | None) -> list[Decision]:
    """The approvals collected on the stage so far (waiting for more approvers)."""
    return [d for d in (record.decisions if record else []) if d.is_collected_approval]


def decide(
    ask: Ask,
    records: Records,
    config: StageConfig,
    rules: ApprovalRules,
    created_by: str,
    identity_map: Mapping[str, str],
    registry_now: str | None = None,
) -> Verdict:
    """Check the decision against the records, separation of duties and the approvers required.
    `registry_now`: the stage's decision in the registry as just read (it may be ahead of the record,
    whose event is on its way). Raises Refused; the caller audits a 403 and stores the verdict's record
    otherwise."""
    if ask.stage not in config.stages:
        raise Refused(404, f"no stage {ask.stage!r} (stages: {', '.join(config.stages)})")
    record = records.get(ask.stage)
    previous_stage = config.previous_stage(ask.stage)
    if previous_stage is not None:
        previous = records.get(previous_stage)
        if previous is None or previous.model_status != APPROVED:
            status = previous.model_status if previous else "not recorded"
            raise Refused(
                409, f"{ask.stage} is decided once {previous_stage} is approved ({previous_stage} is {status})"
            )
        record = record or first_record_in_stage(previous, ask.stage)
    if record is None:
        raise Refused(404, f"no {ask.stage} record for this version yet")
    counted = _countersigned(ask, record, rules, identity_map, registry_now)
    if ask.decision == APPROVE and is_registrant(ask.person, created_by, identity_map):
        raise Refused(
            403,
            f"separation of duties: {ask.person.name} registered this version (CreatedBy {created_by}) "
            "and cannot approve any stage of it",
        )
    if ask.decision == APPROVE and risk_tier(record.model_risk, rules.risk_tiers) is None:
        raise Refused(
            409,
            f"the version's risk tier {record.model_risk!r} is not one of {', '.join(rules.risk_tiers)}: set "
            "ModelRisk in the registry first (it decides how many approvers a stage takes)",
        )
    required = rules.required(ask.stage, record.model_risk) if ask.decision == APPROVE else 1
    collected = approvals(record)
    mine = person_names(ask.person, identity_map)
    if ask.decision == APPROVE and (
        any(is_same_approver(d, ask.person, identity_map) for d in collected)
        or any(decider_names(name, identity_map) & mine for name in counted)
    ):
        raise Refused(
            409,
            f"{ask.person.name} already approved {ask.stage}: it takes {required} distinct approvers "
            f"({len(collected) + len(counted)} so far)",
        )
    earlier = (*counted, *(d.by for d in collected)) if ask.decision == APPROVE else ()
    approvers = (*earlier, ask.person.name)
    if len(approvers) < required:
        stored = replace(record, decisions=[*record.decisions, ask.entry(COLLECTED)])
        return Verdict(COLLECTED, stored, approvers, required)
    decisions = [
        replace(d, state=SENT, sent_with=ask.decision_id) if d in collected and ask.decision == APPROVE else d
        for d in record.decisions
    ]
    stored = replace(record, decisions=[*decisions, ask.entry(SENT)])
    return Verdict(SENT, stored, approvers, required)


def counted_approvers(record: StageRecord, mapping: Mapping[str, str]) -> list[str]:
    """The people the registry's current approval of the stage counts (none when it is not approved, or
    the approval counts for nothing)."""
    decided = record.registry_decision
    if decided is None or decided.status != APPROVED or not decided.authorized:
        return []
    return distinct_people(decided.by, mapping)


def _countersigned(
    ask: Ask, record: StageRecord, rules: ApprovalRules, mapping: Mapping[str, str], registry_now: str | None
) -> list[str]:
    """The approvers a decision adds to (the registry's approval when it is already the one asked for):
    an approval through govsync may complete a registry approval that has too few approvers (or counts
    for nothing); any other decision the registry already holds is refused (409)."""
    wanted = STATUS_OF[ask.decision]
    if wanted not in (record.registry_status, registry_now):
        return []
    if ask.decision == APPROVE and record.registry_status == registry_now == APPROVED:
        counted = counted_approvers(record, mapping)
        if len(counted) < rules.required(ask.stage, record.model_risk):
            return counted
        raise Refused(409, f"{ask.stage} is already approved in the registry, by {', '.join(counted)}")
    raise Refused(409, f"{ask.stage} is already {wanted} in the registry")


def mark(record: StageRecord, decision_id: str, state: str, error: str | None = None) -> StageRecord:
    """The record with the decision `decision_id` (and the approvals sent with it) in `state`."""
    decisions = []
    for d in record.decisions:
        if decision_id in (d.id, d.sent_with):
            d = replace(d, state=state, error=error or d.error)
        decisions.append(d)
    return replace(record, decisions=decisions)
