"""DynamoDB adapter (PynamoDB) for the scheduled jobs' runs, on the governance table: a run's head
(parts planned and done, the summary) and one item per work item part done, each added exactly once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pynamodb.exceptions import PynamoDBException, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from govsync.adapters.dynamodb_attributes import plain
from govsync.adapters.dynamodb_errors import failure
from govsync.adapters.dynamodb_job_items import RunItem, RunPartItem, run_pk
from govsync.adapters.dynamodb_table import bind
from govsync.domain.runs import PartResult, RunState, WorkItem, piece_of

RUN_SK = "RUN"
PART_PREFIX = "PART#"


class RunStore:
    def __init__(self, table_name: str, region: str, host: str | None = None) -> None:
        self._connection = bind(table_name, region, host)

    def start(self, job: str, run_id: str, started_at: datetime, expires_at: datetime) -> None:
        """The run's head, nothing planned yet (a run id is used once)."""
        item = RunItem(run_pk(job, run_id), RUN_SK, stage_status=f"RUN#{job}",
                       model_ref=f"{started_at.isoformat()}#{run_id}", job=job, run_id=run_id,
                       started_at=started_at.isoformat(), expires_at=expires_at)  # fmt: skip
        try:
            item.save(condition=RunItem.pk.does_not_exist())
        except PynamoDBException as exc:
            raise failure(exc, f"PutItem run {run_id}") from exc

    def expect(self, job: str, run_id: str, parts: int) -> None:
        """`parts` more parts are on their way (added before they are sent)."""
        self._update(job, run_id, [RunItem.expected.add(parts)])

    def planned(self, job: str, run_id: str) -> RunState:
        """Every part is sent: from now on the part that completes the count finishes the run."""
        return self._update(job, run_id, [RunItem.planned.set(True)])

    def part_done(self, item: WorkItem, piece: PartResult, expires_at: datetime) -> RunState | None:
        """Add the part's counts to the run, once (None: this part was added before, by an earlier
        delivery of its message); a part that stops short counts its next part as expected, in the same
        transaction."""
        part = RunPartItem(run_pk(item.job, item.run_id), PART_PREFIX + item.part_id, counts=dict(piece.counts),
                           failures=piece.failures, notes=piece.notes, cursor=piece.cursor,
                           expires_at=expires_at)  # fmt: skip
        head = RunItem(run_pk(item.job, item.run_id), RUN_SK)
        actions: list[Action] = [RunItem.done.add(1)]
        if piece.cursor is not None:
            actions.append(RunItem.expected.add(1))  # its next part
        try:
            with TransactWrite(connection=self._connection) as transaction:
                transaction.save(part, condition=RunPartItem.pk.does_not_exist())
                transaction.update(head, actions=actions, condition=RunItem.pk.exists())
        except TransactWriteError as exc:
            reasons = [r.code if r is not None else None for r in (exc.cancellation_reasons or [])]
            if reasons and reasons[0] == "ConditionalCheckFailed":
                return None
            raise failure(exc, f"TransactWriteItems run part {item.part_id}") from exc
        return self.state(item.job, item.run_id)

    def state(self, job: str, run_id: str) -> RunState:
        try:
            head = RunItem.get(run_pk(job, run_id), RUN_SK, consistent_read=True)
        except PynamoDBException as exc:
            raise failure(exc, f"GetItem run {run_id}") from exc
        return _state(head)

    def recorded(self, item: WorkItem) -> PartResult | None:
        """The part as an earlier delivery of its message recorded it (None: not recorded)."""
        try:
            part = RunPartItem.get(run_pk(item.job, item.run_id), PART_PREFIX + item.part_id, consistent_read=True)
        except RunPartItem.DoesNotExist:
            return None
        except PynamoDBException as exc:
            raise failure(exc, f"GetItem run part {item.part_id}") from exc
        return _piece(part)

    def parts(self, job: str, run_id: str) -> Iterator[PartResult]:
        try:
            for part in RunPartItem.query(run_pk(job, run_id), RunPartItem.sk.startswith(PART_PREFIX)):
                yield _piece(part)
        except PynamoDBException as exc:
            raise failure(exc, f"Query run parts {run_id}") from exc

    def finish(self, job: str, run_id: str, summary: dict[str, Any], finished_at: datetime) -> bool:
        """Write the run's summary, once: False if another part finished it first."""
        try:
            RunItem(run_pk(job, run_id), RUN_SK).update(
                actions=[RunItem.finished_at.set(finished_at.isoformat()), RunItem.summary.set(summary)],
                condition=RunItem.finished_at.does_not_exist() & RunItem.pk.exists(),
            )
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise failure(exc, f"UpdateItem run {run_id}") from exc
        return True

    def runs(self, job: str, limit: int = 20) -> list[RunState]:
        """The job's latest runs, newest first."""
        try:
            return [_state(item) for item in RunItem.listing.query(f"RUN#{job}", scan_index_forward=False,
                                                                   limit=limit)]  # fmt: skip
        except PynamoDBException as exc:
            raise failure(exc, f"Query runs of {job}") from exc

    def _update(self, job: str, run_id: str, actions: list[Any]) -> RunState:
        head = RunItem(run_pk(job, run_id), RUN_SK)
        try:
            head.update(actions=actions, condition=RunItem.pk.exists())
        except PynamoDBException as exc:
            raise failure(exc, f"UpdateItem run {run_id}") from exc
        return _state(head)


def _piece(part: RunPartItem) -> PartResult:
    piece = piece_of(plain(part.counts), plain(part.failures), plain(part.notes))
    piece.cursor = part.cursor
    return piece


def _state(head: RunItem) -> RunState:
    summary = plain(head.summary) if head.summary is not None else None
    return RunState(job=head.job, run_id=head.run_id, started_at=head.started_at, planned=bool(head.planned),
                    expected=int(head.expected), done=int(head.done), finished_at=head.finished_at,
                    summary=summary)  # fmt: skip
