"""Use-case lifecycle: poc -> development -> qa -> preproduction -> production -> retired.

A use case in a stage that maps onto a model stage advances when every model group of the use case
has a version approved in that model stage; it keeps advancing while that holds for the next stage
too. Stages without a mapping (by default poc, production and retired) are left by hand only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

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

    def to_json(self) -> dict[str, Any]:
        return {
            "use_case_id": self.use_case_id,
            "use_case_name": self.use_case_name,
            "use_case_stage": self.stage,
            "history": list(self.history),
        }


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
