"""Fan-out of a scheduled job (see `govsync.domain.runs`): its schedule plans the run into work items on
the job's work queue; the job's function, invoked by the queue at a bounded concurrency (the event
source's MaximumConcurrency), does one item per invocation, stops at a checkpoint when its time runs
short and queues the rest as the item's next part; the part that completes the run writes its one summary.

A job plugs in as a `JobWork`: how it plans, how it does one item, how its summary reads."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from govsync.domain.runs import PartResult, RunState, WorkItem, parse_work_item, totals
from govsync.observability import MetricUnit, logger, metrics
from govsync.services.messages import Message, handle_or_dead_letter
from govsync.services.ports import DeadLetter, utc_now

SEND_BATCH = 100  # work items sent (and counted as expected) at a time while planning
KEEP_DAYS = 30  # how long a run's items stay in the table


class JobWork(Protocol):
    job: str

    def plan(self, event: Any, planning: PartResult) -> Iterator[tuple[str, dict[str, Any]]]:
        """The run's work items: (item id, what to do); what planning itself found goes in `planning`."""
        ...

    def work(self, item: WorkItem, keep_going: Callable[[], bool]) -> PartResult:
        """Do one item (`item.work`) from `item.cursor` on; stop at a checkpoint once `keep_going()` is
        False (the piece's cursor says where to go on from)."""
        ...

    def summary(self, run_id: str, total: PartResult) -> dict[str, Any]: ...


class Runs(Protocol):
    def start(self, job: str, run_id: str, started_at: datetime, expires_at: datetime) -> None: ...
    def expect(self, job: str, run_id: str, parts: int) -> None: ...
    def planned(self, job: str, run_id: str) -> RunState: ...
    def part_done(self, item: WorkItem, piece: PartResult, expires_at: datetime) -> RunState | None: ...
    def recorded(self, item: WorkItem) -> PartResult | None: ...
    def parts(self, job: str, run_id: str) -> Iterator[PartResult]: ...
    def finish(self, job: str, run_id: str, summary: dict[str, Any], finished_at: datetime) -> bool: ...


class WorkQueue(Protocol):
    def send_batch(self, bodies: list[str]) -> None: ...


def run_inline(
    work: JobWork, event: Any, run_id: str, progress: Callable[[PartResult, str], None] | None = None
) -> dict[str, Any]:
    """Plan and do every item here, one after the other (the CLI: an operator's run, with progress)."""
    total = PartResult()
    for item_id, item in list(work.plan(event, total)):
        total.add(work.work(WorkItem(job=work.job, run_id=run_id, item_id=item_id, work=item), lambda: True))
        if progress:
            progress(total, item_id)
    return work.summary(run_id, total)


@dataclass
class Fanout:
    runs: Runs
    queue: WorkQueue
    dead_letter: DeadLetter
    max_receive_count: int
    clock: Callable[[], datetime] = utc_now

    def handle_message(self, work: JobWork, message: Message, keep_going: Callable[[], bool]) -> str:
        """`handle` a work item's message; a malformed one, or one still failing on its last delivery,
        goes to the dead-letter queue with its reason."""
        return handle_or_dead_letter(
            message, lambda m: self.handle(work, m.body, keep_going), self.dead_letter, rejected="rejected",
            what="work item", metric="WorkItemsRejected", last_attempt=message.receive_count >= self.max_receive_count,
        )  # fmt: skip

    def start(self, work: JobWork, event: Any, run_id: str) -> dict[str, Any]:
        """Plan the run: its head, every item on the queue, then `planned` (the run may be complete
        already: no items, or every item done while planning went on)."""
        started = self.clock()
        self.runs.start(work.job, run_id, started, started + timedelta(days=KEEP_DAYS))
        planning, batch, sent = PartResult(), [], 0
        for item_id, item in work.plan(event, planning):
            batch.append(WorkItem(job=work.job, run_id=run_id, item_id=item_id, work=item).to_body())
            if len(batch) == SEND_BATCH:
                sent += self._send(work.job, run_id, batch)
                batch = []
        sent += self._send(work.job, run_id, batch)
        # what planning found is the run's first part
        plan = WorkItem(job=work.job, run_id=run_id, item_id="plan", work={})
        self.runs.expect(work.job, run_id, 1)
        self.runs.part_done(plan, planning, started + timedelta(days=KEEP_DAYS))
        state = self.runs.planned(work.job, run_id)
        logger.info("run planned", job=work.job, run_id=run_id, items=sent)
        if state.complete:
            self._finish(work, state)
        return {"job": work.job, "run_id": run_id, "items": sent}

    def _send(self, job: str, run_id: str, batch: list[str]) -> int:
        if batch:
            self.runs.expect(job, run_id, len(batch))  # before they can be done
            self.queue.send_batch(batch)
        return len(batch)

    def handle(self, work: JobWork, body: str, keep_going: Callable[[], bool]) -> str:
        """Do one work item's part from its message; hand the rest on if time ran short. Idempotent: a
        part already recorded is not done again, only its next part is queued again (the delivery that
        recorded it may have stopped before sending it)."""
        item = parse_work_item(body, work.job)
        expires = self.clock() + timedelta(days=KEEP_DAYS)
        if (earlier := self.runs.recorded(item)) is not None:
            self._hand_on(item, earlier.cursor)
            return "duplicate"
        piece = work.work(item, keep_going)
        state = self.runs.part_done(item, piece, expires)
        if state is None:  # recorded meanwhile by another delivery
            earlier = self.runs.recorded(item)
            self._hand_on(item, earlier.cursor if earlier else None)
            return "duplicate"
        self._hand_on(item, piece.cursor)
        if state.complete and state.finished_at is None:
            self._finish(work, state)
        return "handed-on" if piece.cursor is not None else "done"

    def _hand_on(self, item: WorkItem, cursor: str | None) -> None:
        if cursor is not None:
            self.queue.send_batch([item.next_part(cursor).to_body()])
            logger.info(
                "work item continues in its next part",
                job=item.job,
                run_id=item.run_id,
                item=item.item_id,
                part=item.part + 1,
            )

    def _finish(self, work: JobWork, state: RunState) -> None:
        summary = work.summary(state.run_id, totals(self.runs.parts(work.job, state.run_id)))
        summary.update(started_at=state.started_at, parts=state.done)
        if self.runs.finish(work.job, state.run_id, summary, self.clock()):
            logger.info("run finished", **summary)
            metrics.add_metric(name="ScheduledRunsFinished", unit=MetricUnit.Count, value=1)


def plan_chunks(keys: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """`keys` in lists of at most `size`."""
    chunk: list[Any] = []
    for key in keys:
        chunk.append(key)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
