"""Use-case lifecycle: poc -> development -> qa -> preproduction -> production -> retired.

A use case in a stage that maps onto a model stage advances when every model group of the use case
has a version approved in that model stage; it keeps advancing while that holds for the next stage
too. Stages without a mapping (by default poc, production and retired) are left by hand only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from govsync.domain.errors import Refused
from govsync.domain.records import APPROVED, StageRecord

USE_CASE_STAGES = ("poc", "development", "qa", "preproduction", "production", "retired")
# use-case stage -> the model stage every model must be approved in to leave it
DEFAULT_USE_CASE_MAP: dict[str, str] = {"development": "development", "qa": "test", "preproduction": "production"}


@dataclass(frozen=True, slots=True)
class UseCase:
    use_case_id: str
    use_case_name: str | None
    stage: str
    seq: int = 0  # optimistic lock: the number of transitions recorded
    history: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    owner: str | None = None
    lob: str | None = None
    description: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "use_case_id": self.use_case_id,
            "use_case_name": self.use_case_name,
            "use_case_stage": self.stage,
            "owner": self.owner,
            "lob": self.lob,
            "description": self.description,
            "history": list(self.history),
        }


ADVANCE = "advance"
REJECT = "reject"


def recorded(
    use_case_id: str, name: str, *, owner: str | None, lob: str | None, description: str | None, actor: str, at: str
) -> UseCase:
    """A use case recorded by a person (the blog's DS team lead): it starts in the POC stage."""
    entry = {"from": None, "to": USE_CASE_STAGES[0], "reason": "recorded", "actor": actor, "at": at}
    return UseCase(use_case_id, name, USE_CASE_STAGES[0], history=(entry,), owner=owner, lob=lob,
                   description=description)  # fmt: skip


def decided(use_case: UseCase, decision: str, comment: str, *, actor: str, at: str) -> UseCase:
    """`advance` moves the use case to its next stage; `reject` sends it back one (QA -> development
    for rework, as the blog describes)."""
    index = USE_CASE_STAGES.index(use_case.stage) if use_case.stage in USE_CASE_STAGES else -1
    if index < 0:
        raise Refused(409, f"use case {use_case.use_case_id} is in an unknown stage {use_case.stage!r}")
    target = index + 1 if decision == ADVANCE else index - 1
    if not 0 <= target < len(USE_CASE_STAGES):
        edge = "last" if decision == ADVANCE else "first"
        where = f"use case {use_case.use_case_id} is in {use_case.stage}"
        raise Refused(409, f"{where}, the {edge} stage: cannot {decision}")
    following = USE_CASE_STAGES[target]
    entry = {"from": use_case.stage, "to": following, "reason": f"{decision}: {comment}", "decision": decision,
             "comment": comment, "actor": actor, "at": at}  # fmt: skip
    return replace(use_case, stage=following, history=(*use_case.history, entry))


def all_models_retired(use_case: UseCase, models: list[str], *, trigger: str, actor: str, at: str) -> UseCase | None:
    """The use case retired, its models (`models`, by group) all retired; None where it is retired already."""
    if use_case.stage == USE_CASE_STAGES[-1]:
        return None
    entry = {"from": use_case.stage, "to": USE_CASE_STAGES[-1], "reason": "all its models retired",
             "models": sorted(set(models)), "trigger": trigger, "actor": actor, "at": at}  # fmt: skip
    return replace(use_case, stage=USE_CASE_STAGES[-1], history=(*use_case.history, entry))


def initial_stage(declared: str | None) -> str:
    """A new use case starts where its models' UseCaseStage metadata says, else in development."""
    value = (declared or "").strip().lower()
    return value if value in USE_CASE_STAGES else "development"


@dataclass(frozen=True, slots=True)
class ModelTally:
    """One model group's versions in a use case, in one model stage: how many stage records it has, and
    how many of them are approved. The use case's tallies are all the lifecycle reads to decide an
    advance: O(groups x stages), however many versions the use case has seen."""

    group: str
    stage: str
    records: int = 0
    approved: int = 0


# what one stage record counts in its use case's tallies: (use case id, approved), or None (no use case)
Counted = tuple[str, bool] | None


def counted(record: StageRecord) -> Counted:
    return (record.use_case_id, record.model_status == APPROVED) if record.use_case_id else None


def tally_changes(
    group: str, before: Mapping[str, Counted], after: Iterable[StageRecord]
) -> dict[tuple[str, str, str], tuple[int, int]]:
    """(use case, group, stage) -> (records, approved) to add to the tallies when a version's stage
    records become `after`, `before` being what each stage's record counted until now (a stage missing
    from it counted nothing). Entries that do not change are left out."""
    records: Counter[tuple[str, str, str]] = Counter()
    approved: Counter[tuple[str, str, str]] = Counter()
    for record in after:
        stage = record.model_stage
        for sign, count in ((-1, before.get(stage)), (1, counted(record))):
            if count is not None:
                records[(count[0], group, stage)] += sign
                approved[(count[0], group, stage)] += sign * count[1]
    keys = set(records) | set(approved)
    return {key: (records[key], approved[key]) for key in sorted(keys) if records[key] or approved[key]}


def uncounted_left(state: Any, written: Iterable[StageRecord]) -> list[StageRecord]:
    """The version's records a write leaves as they are although they were written before the tallies
    existed (`state` a VersionState): the write counts them too, so a version is counted whole."""
    stages = {r.model_stage for r in written}
    return [r for stage, r in sorted(state.records.items()) if stage not in stages and stage in state.uncounted]


def tallies_of(records: Iterable[StageRecord]) -> dict[str, list[ModelTally]]:
    """Use case -> its tallies, counted from the records themselves."""
    counts: dict[tuple[str, str, str], list[int]] = {}
    for record in records:
        if (count := counted(record)) is not None:
            entry = counts.setdefault((count[0], record.model_group, record.model_stage), [0, 0])
            entry[0] += 1
            entry[1] += count[1]
    found: dict[str, list[ModelTally]] = {}
    for (use_case, group, stage), (n, ok) in sorted(counts.items()):
        found.setdefault(use_case, []).append(ModelTally(group, stage, n, ok))
    return found


def models_approved(tallies: Iterable[ModelTally], model_stage: str) -> tuple[bool, list[str]]:
    """Whether every model group of the use case has a version approved in `model_stage`; and the
    groups still waiting."""
    groups: dict[str, bool] = {}
    for tally in tallies:
        if tally.records > 0:
            approved = tally.stage == model_stage and tally.approved > 0
            groups[tally.group] = groups.get(tally.group, False) or approved
    waiting = sorted(group for group, ok in groups.items() if not ok)
    return bool(groups) and not waiting, waiting


def advance(
    use_case: UseCase,
    tallies: list[ModelTally],
    stage_map: dict[str, str],
    *,
    trigger: str,
    actor: str,
    at: str,
) -> UseCase:
    """The use case after as many advances as its models' approvals allow (unchanged if none)."""
    current = use_case
    while current.stage in stage_map and current.stage != USE_CASE_STAGES[-1]:
        model_stage = stage_map[current.stage]
        ok, _ = models_approved(tallies, model_stage)
        if not ok:
            break
        following = USE_CASE_STAGES[USE_CASE_STAGES.index(current.stage) + 1]
        entry = {
            "from": current.stage,
            "to": following,
            "reason": f"all models approved in {model_stage}",
            "models": sorted({t.group for t in tallies if t.records > 0}),
            "trigger": trigger,
            "actor": actor,
            "at": at,
        }
        current = replace(current, stage=following, history=(*current.history, entry))
    return current
