"""A scheduled job's run, fanned out: the run is planned into work items (a model package group to
reconcile, a chunk of live deployments to measure), each carried by one queue message and done by one
invocation. An item that runs short of time stops at a checkpoint (its `cursor`) and queues the rest
as its next part; every part adds its counts to the run once (its id is `<item>#<part>`), and the part
that finds every planned part done writes the run's one summary."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from govsync.domain.errors import RejectedEvent

MAX_FAILURES = 50  # failures a run keeps (the rest are counted, and logged as they happen)


class WorkItem(BaseModel):
    """One queue message of a run: which run, which piece of work, from where on."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    job: str = Field(min_length=1, max_length=64)
    run_id: str = Field(min_length=1, max_length=128)
    item_id: str = Field(min_length=1, max_length=512)
    part: int = Field(default=0, ge=0)
    work: dict[str, Any]
    cursor: str | None = Field(default=None, max_length=8192)

    @property
    def part_id(self) -> str:
        return f"{self.item_id}#{self.part:05d}"

    def next_part(self, cursor: str) -> WorkItem:
        return self.model_copy(update={"part": self.part + 1, "cursor": cursor})

    def to_body(self) -> str:
        return self.model_dump_json()


def parse_work_item(body: str, job: str) -> WorkItem:
    """A work item of `job` from a queue message; RejectedEvent (dead-lettered) if it is not one."""
    try:
        item = WorkItem.model_validate(json.loads(body))
    except (ValueError, ValidationError) as exc:
        raise RejectedEvent(f"malformed work item: {str(exc)[:300]}") from exc
    if item.job != job:
        raise RejectedEvent(f"a work item of {item.job!r} reached the {job!r} job")
    return item


@dataclass
class PartResult:
    """What one part of a work item did: counts to add to the run, failures, and where to go on from
    (None: the item is done)."""

    counts: Counter[str] = field(default_factory=Counter)
    failures: list[dict[str, str]] = field(default_factory=list)
    cursor: str | None = None
    notes: dict[str, str] = field(default_factory=dict)  # facts for the summary (later parts' win)

    def failed(self, what: str, error: str) -> None:
        self.counts["failed"] += 1
        if len(self.failures) < MAX_FAILURES:
            self.failures.append({"arn": what, "error": error})

    def add(self, other: PartResult) -> None:
        self.counts.update(other.counts)
        self.failures.extend(other.failures[: max(0, MAX_FAILURES - len(self.failures))])
        self.notes.update(other.notes)


def totals(pieces: Iterable[PartResult]) -> PartResult:
    """The run's counts, (first MAX_FAILURES) failures and notes, from its parts'."""
    total = PartResult()
    for piece in pieces:
        total.add(piece)
    return total


def piece_of(counts: Mapping[str, Any], failures: Iterable[Mapping[str, Any]], notes: Mapping[str, Any]) -> PartResult:
    """A part as the table holds it (numbers may come back as decimals)."""
    return PartResult(
        Counter({str(k): int(v) for k, v in counts.items()}),
        [{str(k): str(v) for k, v in f.items()} for f in failures],
        notes={str(k): str(v) for k, v in notes.items()},
    )


@dataclass(frozen=True)
class RunState:
    """A run's head: planned (every first part sent), parts expected and done, its summary once done."""

    job: str
    run_id: str
    started_at: str
    planned: bool
    expected: int
    done: int
    finished_at: str | None = None
    summary: dict[str, Any] | None = None

    @property
    def complete(self) -> bool:
        """Every part the run planned, or queued as an item's next part, is done."""
        return self.planned and self.done >= self.expected

    def to_json(self) -> dict[str, Any]:
        return {"job": self.job, "run_id": self.run_id, "started_at": self.started_at, "planned": self.planned,
                "parts_expected": self.expected, "parts_done": self.done, "finished_at": self.finished_at,
                "summary": self.summary}  # fmt: skip
