"""Use-case lifecycle: poc -> development -> qa -> preproduction -> production -> retired.

A use case in a stage that maps onto a model stage advances when every model group of the use case
has a version approved in that model stage; it keeps advancing while that holds for the next stage
too. Stages without a mapping (by default poc, production and retired) are left by hand only.
"""

from __future__ import annotations

from collections.abc import Iterable
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


def initial_stage(declared: str | None) -> str:
    """A new use case starts where its models' UseCaseStage metadata says, else in development."""
    value = (declared or "").strip().lower()
    return value if value in USE_CASE_STAGES else "development"


def models_approved(records: Iterable[StageRecord], model_stage: str) -> tuple[bool, list[str]]:
    """Whether every model group among `records` has a version approved in `model_stage`; and the
    groups still waiting."""
    groups: dict[str, bool] = {}
    for record in records:
        approved = record.model_stage == model_stage and record.model_status == APPROVED
        groups[record.model_group] = groups.get(record.model_group, False) or approved
    waiting = sorted(group for group, ok in groups.items() if not ok)
    return bool(groups) and not waiting, waiting


def advance(
    use_case: UseCase,
    records: list[StageRecord],
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
        ok, _ = models_approved(records, model_stage)
        if not ok:
            break
        following = USE_CASE_STAGES[USE_CASE_STAGES.index(current.stage) + 1]
        entry = {
            "from": current.stage,
            "to": following,
            "reason": f"all models approved in {model_stage}",
            "models": sorted({r.model_group for r in records}),
            "trigger": trigger,
            "actor": actor,
            "at": at,
        }
        current = replace(current, stage=following, history=(*current.history, entry))
    return current
