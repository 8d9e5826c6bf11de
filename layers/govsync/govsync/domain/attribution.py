"""Whose decision a registry change is: a decision people sent through govsync (their names, their
decisions `applied`), or one made in the registry itself (Studio, the SDK, `UpdateModelPackage`),
judged by who may decide (`domain.registry_decisions`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from govsync.domain.approvals import STATUS_OF
from govsync.domain.decisions import APPLIED, COLLECTED, SENT, SUPERSEDED, Decision
from govsync.domain.package import PackageSnapshot
from govsync.domain.records import APPROVED, PENDING, Records, StageRecord
from govsync.domain.registry_decisions import Approvers, through_govsync, through_registry


def attribute(
    before: Records,
    after: Records,
    pkg: PackageSnapshot | None = None,
    approvers: Approvers | None = None,
    named: frozenset[str] = frozenset(),
) -> tuple[Records, str | None]:
    """Who made each new registry decision, and through which door (the record's `registry_decision`).
    A decision that a person's decision sent: the stage record names the person(s) and their decisions
    are `applied`; the actor for the audit entry, or None (the registry's identity stays). A decision
    made in the registry itself is judged (`Approvers.refusal`): an unauthorized approval counts for
    nothing (the record keeps its governance decision, `model_status`, as it was: it waits for a person who
    may decide, in the approval queue; a rejection is always honoured).
    An approval the package names (`named`: its ModelApprovalStatus's stage and its ModelLifeCycle's)
    stays as it was when someone who may not decide changed the package since, unless it is judged
    again: the registry cannot say whether they made the approval again, so it counts for nothing until
    a person who may decide decides anew. Approvals still collected for a stage the registry decided
    otherwise are `superseded`."""
    result = dict(after)
    actor: str | None = None
    at = pkg.last_modified_time.isoformat() if pkg else ""
    for stage, record in after.items():
        old = before.get(stage)
        status = record.registry_status
        if status is None or status not in STATUS_OF.values():
            continue
        sent = [d for d in record.decisions if d.state == SENT and STATUS_OF.get(d.decision) == status]
        changed = old is None or status != old.registry_status
        if not changed and not sent:  # the same decision seen again (a countersignature has `sent` ones)
            if pkg is not None and stage in named and old is not None:
                result[stage] = _touched(old, record, pkg, approvers or Approvers(), at)
            continue
        decisions = []
        for d in record.decisions:
            if d in sent:
                d = replace(d, state=APPLIED)
            elif d.state in (COLLECTED, SENT):
                d = replace(d, state=SUPERSEDED)
            decisions.append(d)
        if sent:
            people = [d.by for d in decisions if d.state == APPLIED and _applied_with(d, sent)]
            earlier = old.registry_decision if old is not None and not changed else None
            if earlier is not None and earlier.authorized and status == APPROVED:
                people = [*earlier.by, *people]  # countersigned: the approvers before still count
            actor = ", ".join(dict.fromkeys(d.by for d in sent))
            door = through_govsync(status, people, sent[-1].id, at)
            result[stage] = replace(record, decisions=decisions, model_audit_user=actor, registry_decision=door,
                                    model_status=status)  # fmt: skip
        elif pkg is not None:
            door = through_registry(status, pkg.actor, at, pkg.created_by, pkg.account, approvers or Approvers())
            kept = record.model_status if door.authorized or status != APPROVED else _undecided(old)
            result[stage] = replace(record, decisions=decisions, registry_decision=door, model_status=kept)
        elif decisions != record.decisions:
            result[stage] = replace(record, decisions=decisions)
    return result, actor


def _touched(old: StageRecord, record: StageRecord, pkg: PackageSnapshot, approvers: Approvers, at: str) -> StageRecord:
    """A stage the package names, decided as before: an approval that counted no longer does when the
    package's last change was made by someone who may not decide."""
    decided = old.registry_decision
    if decided is None or not decided.authorized or decided.status != APPROVED or pkg.actor in decided.by:
        return record
    judged = through_registry(APPROVED, pkg.actor, at, pkg.created_by, pkg.account, approvers)
    if judged.authorized:
        return record
    reason = f"the package was changed by {pkg.actor} after {', '.join(decided.by)} approved it: {judged.reason}"
    return replace(record, registry_decision=replace(judged, reason=reason), model_status=PENDING)


def _undecided(old: StageRecord | None) -> str:
    """The governance decision a stage keeps when an approval that counts for nothing arrives: what it
    was (pending, or rejected), never approved."""
    return old.model_status if old is not None and old.model_status != APPROVED else PENDING


def _ids(sent: Sequence[Decision]) -> set[str]:
    return {d.id for d in sent}


def _applied_with(decision: Decision, sent: Sequence[Decision]) -> bool:
    """Whether `decision` was applied by the registry decision `sent` made (it is one of them, or an
    approval collected before and sent with one of them)."""
    return decision.id in _ids(sent) or decision.sent_with in _ids(sent)
