"""What a stage record keeps of its upkeep: its periodic review and the reminders of a waiting approval
(set by the rules in `domain.due_dates`), and its retirement (`domain.retirement`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
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

    next_review_due: str  # ISO 8601, UTC
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


class Teardown(StrEnum):
    REQUESTED = "requested"  # the deploy function has yet to look
    TORN_DOWN = "torn_down"  # the endpoint, its config and its model deleted
    NOT_SERVING = "not_serving"  # the endpoint serves another version: nothing deleted
    NOTHING_DEPLOYED = "nothing_deployed"  # no endpoint (never deployed, or gone already)
    NOT_SUPPORTED = "not_supported"  # the stage's strategy deploys what govsync cannot see or delete
    FAILED = "failed"  # the stage account refused (the result says why)


@dataclass(frozen=True, slots=True)
class TeardownResult:
    """What a strategy's teardown did, in a state and in words."""

    state: Teardown
    words: str
    endpoint_name: str | None = None


@dataclass(frozen=True, slots=True)
class Retirement:
    """Who retired the stage, when, why and through which door; and what became of its deployment."""

    by: str
    at: str
    door: str  # registry | api | cli
    comment: str | None
    teardown: Teardown
    result: str | None = None
    done_at: str | None = None
    endpoint_name: str | None = None
    requested_by_event: str | None = None
    requested_by_message: str | None = None  # the message whose change opened it: the one that sends it

    def to_json(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in self.__dataclass_fields__ if getattr(self, name) is not None}
        data["teardown"] = self.teardown.value
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Retirement | None:
        if not data or not data.get("teardown"):
            return None
        values: dict[str, Any] = {name: data.get(name) for name in cls.__dataclass_fields__ if name in data}
        return cls(**{**values, "teardown": Teardown(data["teardown"])})
