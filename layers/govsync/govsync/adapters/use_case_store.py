"""The governance table's use cases and their tallies (part of `adapters.store.GovernanceStore`): a use
case's item, its listing, and the tallies the record transaction adds to."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from pynamodb.connection import Connection
from pynamodb.exceptions import PutError, PynamoDBException, TransactWriteError
from pynamodb.transactions import TransactWrite

from govsync.adapters.dynamodb_errors import failure
from govsync.adapters.dynamodb_items import (
    TALLY_PREFIX,
    USE_CASE_LISTING,
    USE_CASE_SK,
    StageRecordItem,
    UseCaseItem,
    UseCaseTallyItem,
    tally_sk,
    use_case_pk,
)
from govsync.domain.errors import ConcurrentChange
from govsync.domain.records import StageRecord
from govsync.domain.usecases import ModelTally, UseCase, counted


class UseCaseTable:
    """Use cases and their tallies on the governance table (bound by the store that inherits this)."""

    _connection: Connection

    # ------------------------------------------------------------------ use cases
    def load_use_case(self, use_case_id: str) -> UseCase | None:
        try:
            item = UseCaseItem.get(use_case_pk(use_case_id), USE_CASE_SK, consistent_read=True)
        except UseCaseItem.DoesNotExist:
            return None
        except PynamoDBException as exc:
            raise failure(exc, f"GetItem use case {use_case_id}") from exc
        return item.to_use_case()

    def use_cases(self) -> Iterator[UseCase]:
        """Every use case, by id (by_stage_status index, no Scan)."""
        try:
            for item in UseCaseItem.listing.query(USE_CASE_LISTING):
                yield item.to_use_case()
        except PynamoDBException as exc:
            raise failure(exc, "Query use cases") from exc

    def use_case_stages(self, use_case_ids: Iterable[str]) -> dict[str, str]:
        """The current lifecycle stage of each use case that has its item (BatchGetItem)."""
        keys = [(use_case_pk(i), USE_CASE_SK) for i in sorted(set(use_case_ids))]
        if not keys:
            return {}
        try:
            return {item.use_case_id: item.use_case_stage for item in UseCaseItem.batch_get(keys)}
        except PynamoDBException as exc:
            raise failure(exc, "BatchGetItem use cases") from exc

    def save_use_case(self, use_case: UseCase, expected_seq: int | None) -> None:
        """Write the use case if nobody did since it was read (`expected_seq` None: a new one)."""
        item = UseCaseItem(
            use_case_pk(use_case.use_case_id),
            USE_CASE_SK,
            model_ref=use_case.use_case_id,
            use_case_id=use_case.use_case_id,
            use_case_name=use_case.use_case_name,
            use_case_stage=use_case.stage,
            seq=len(use_case.history),
            history=list(use_case.history),
            owner=use_case.owner,
            lob=use_case.lob,
            description=use_case.description,
        )
        condition = UseCaseItem.pk.does_not_exist() if expected_seq is None else UseCaseItem.seq == expected_seq
        try:
            item.save(condition=condition)
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise ConcurrentChange(f"use case {use_case.use_case_id} changed concurrently") from exc
            raise failure(exc, f"PutItem use case {use_case.use_case_id}") from exc

    # ------------------------------------------------------------------ use-case tallies
    def use_case_tallies(self, use_case_id: str) -> list[ModelTally]:
        """The use case's tallies: one item per model group and stage (strongly consistent)."""
        try:
            return [
                item.to_tally()
                for item in UseCaseTallyItem.query(
                    use_case_pk(use_case_id), UseCaseTallyItem.sk.startswith(TALLY_PREFIX), consistent_read=True
                )
            ]
        except PynamoDBException as exc:
            raise failure(exc, f"Query tallies of use case {use_case_id}") from exc

    def count_record(self, record: StageRecord) -> bool:
        """Count a record written before the tallies in its use case's tallies, in one transaction with
        its mark; False if it was counted meanwhile (any write since counts it)."""
        try:
            with TransactWrite(connection=self._connection) as transaction:
                self._count(transaction, record)
        except TransactWriteError as exc:
            reasons = [r.code for r in (exc.cancellation_reasons or []) if r is not None]
            if "ConditionalCheckFailed" in reasons:
                return False
            raise failure(exc, "TransactWriteItems (count a record)") from exc
        return True

    def _count(self, transaction: TransactWrite, record: StageRecord) -> None:
        """The record's mark (if it has none yet) and its count in the tallies."""
        item = StageRecordItem.from_record(record)
        transaction.update(
            item,
            actions=[
                StageRecordItem.counted_use_case.set(item.counted_use_case),
                StageRecordItem.counted_approved.set(bool(item.counted_approved)),
            ],
            condition=StageRecordItem.counted_use_case.does_not_exist(),
        )
        if (count := counted(record)) is not None:
            self._tally(transaction, (count[0], record.model_group, record.model_stage), (1, int(count[1])))

    @staticmethod
    def _tally(transaction: TransactWrite, key: tuple[str, str, str], change: tuple[int, int]) -> None:
        use_case, group, stage = key
        transaction.update(
            UseCaseTallyItem(use_case_pk(use_case), tally_sk(group, stage)),
            actions=[
                UseCaseTallyItem.kind.set(UseCaseTallyItem),
                UseCaseTallyItem.model_group.set(group),
                UseCaseTallyItem.model_stage.set(stage),
                UseCaseTallyItem.records.add(change[0]),
                UseCaseTallyItem.approved.add(change[1]),
            ],
        )
