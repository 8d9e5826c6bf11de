"""What periodic review and approval reminders record on a stage record (the rules that set them are in
`domain.due_dates`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SCHEDULED = "scheduled"
DUE = "due"
OVERDUE = "overdue"
REVIEW_STATES = (SCHEDULED, DUE, OVERDUE)


def _from_json[T](kind: type[T], data: Mapping[str, Any] | None) -> T | None:
    if not data:
        return None
    known = {name for name in kind.__dataclass_fields__}  # type: ignore[attr-defined]
    return kind(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True, slots=True)
class Review:
    """A live model's periodic review: when the next one is due, where it stands, and the last one."""

    due: str  # ISO 8601, UTC
    state: str  # scheduled | due | overdue
    every_days: int  # the cadence the due date was set with (the risk tier's)
    last_at: str | None = None
    last_by: str | None = None
    last_comment: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__ if getattr(self, name) is not None}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Review | None:
        return _from_json(cls, data)


@dataclass(frozen=True, slots=True)
class Reminder:
    """The reminders sent for one wait: since when the stage waits, how many periods were reminded, the last."""

    since: str
    count: int
    at: str
    sla_hours: int

    def to_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Reminder | None:
        return _from_json(cls, data)
