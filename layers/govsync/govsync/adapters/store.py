"""DynamoDB adapter (PynamoDB): the governance table's reads and its one transactional write. The
items and their keys are in `govsync.adapters.dynamodb_items`."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime

from pynamodb.exceptions import PynamoDBException, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from govsync.adapters.dynamodb_errors import failure
from govsync.adapters.dynamodb_items import (
    AUDIT_PREFIX,
    HEAD_SK,
    NOTIFIED_SK,
    STAGE_PREFIX,
    AuditItem,
    GovernanceItem,
    NotifiedItem,
    StageRecordItem,
    VersionHeadItem,
    model_ref,
    version_of,
    version_pk,
)
from govsync.adapters.dynamodb_job_items import MetricsPointItem, metrics_pk
from govsync.adapters.dynamodb_table import bind
from govsync.adapters.lineage_store import LineageTable, lineage_items
from govsync.adapters.trail_store import TrailTable
from govsync.adapters.use_case_store import UseCaseTable
from govsync.domain.audit import AuditEntry, StoredEntry
from govsync.domain.errors import AuditChainBroken, ConcurrentChange
from govsync.domain.monitoring import MetricsPoint
from govsync.domain.records import STATUSES, StageRecord
from govsync.domain.usecases import tally_changes, uncounted_left
from govsync.domain.version_state import Applied, VersionHead, VersionState

PAGE_SIZE = 25  # items a query reads at a time where its caller may stop early


class GovernanceStore(UseCaseTable, TrailTable, LineageTable):
    def __init__(self, table_name: str, region: str, host: str | None = None) -> None:
        self._connection = bind(table_name, region, host)
        # told of each committed change (the notifier: `services.notifications.Notifier.committed`)
        self.on_commit: Callable[[VersionState, AuditEntry | None], None] | None = None

    # ------------------------------------------------------------------ reads
    def load_version(self, group: str, version: int) -> VersionState:
        state = VersionState(group, version)
        try:
            for item in GovernanceItem.query(
                version_pk(group, version), GovernanceItem.sk.startswith("V#"), consistent_read=True
            ):
                if isinstance(item, NotifiedItem):
                    state.notified = int(item.notified_seq)
                elif isinstance(item, VersionHeadItem):
                    state.head = VersionHead(item.source_version, int(item.audit_seq), item.audit_head)
                elif isinstance(item, StageRecordItem):
                    record = item.to_record()
                    state.records[record.model_stage] = record
                    state.counted[record.model_stage] = item.counted()
                    if item.counted_use_case is None:
                        state.uncounted.add(record.model_stage)
        except PynamoDBException as exc:
            raise failure(exc, f"Query version {group}/{version}") from exc
        return state

    def applied_versions(self, versions: Iterable[tuple[str, int]], first_stage: str) -> dict[tuple[str, int], Applied]:
        """For each version that has both its head and its first stage record, the registry change
        the head last applied, and whether the record is counted in the use-case tallies (BatchGetItem,
        100 keys a call, only the attributes needed). A version missing from the answer has no record,
        or lost it."""
        keys = [(version_pk(g, v), sk) for g, v in versions for sk in (HEAD_SK, STAGE_PREFIX + first_stage)]
        heads: dict[tuple[str, int], str] = {}
        records: dict[tuple[str, int], bool] = {}
        attributes = [
            "pk",
            "sk",
            "kind",
            "model_group",
            "model_version",
            "model_ref",
            "source_version",
            "counted_use_case",
        ]
        try:
            for item in GovernanceItem.batch_get(keys, consistent_read=True, attributes_to_get=attributes):
                if isinstance(item, VersionHeadItem) and item.source_version:
                    heads[(item.model_group, int(item.model_version))] = item.source_version
                elif isinstance(item, StageRecordItem):
                    records[version_of(item.model_ref)] = item.counted_use_case is not None
        except PynamoDBException as exc:
            raise failure(exc, "BatchGetItem version heads") from exc
        return {key: Applied(source, records[key]) for key, source in heads.items() if key in records}

    def audit_entries(self, group: str, version: int) -> list[AuditEntry]:
        return [stored.entry for stored in self.audit_items(group, version)]

    def audit_items(self, group: str, version: int, limit: int | None = None) -> list[StoredEntry]:
        """Every audit item of the version's partition (the first `limit`), with the seq its key names."""
        try:
            return [
                StoredEntry(int(item.sk.removeprefix(AUDIT_PREFIX)), item.to_entry())
                for item in AuditItem.query(
                    version_pk(group, version), AuditItem.sk.startswith(AUDIT_PREFIX), consistent_read=True,
                    limit=limit,
                )
            ]  # fmt: skip
        except PynamoDBException as exc:
            raise failure(exc, f"Query audit of {group}/{version}") from exc

    def records_by_stage_status(self, stage: str, status: str, group: str | None = None) -> Iterator[StageRecord]:
        """Records with `status` in `stage` (by_stage_status index), of one model group if given."""
        condition = StageRecordItem.model_ref.startswith(f"{group}#") if group else None
        try:
            for item in StageRecordItem.by_stage_status.query(f"{stage}#{status}", condition):
                yield item.to_record()
        except PynamoDBException as exc:
            raise failure(exc, f"Query {stage}#{status} records") from exc

    def records_by_use_case(self, use_case_id: str) -> Iterator[StageRecord]:
        try:
            for item in StageRecordItem.by_use_case.query(use_case_id):
                yield item.to_record()
        except PynamoDBException as exc:
            raise failure(exc, f"Query records of use case {use_case_id}") from exc

    def group_records_in_stage(
        self, group: str, stage: str, statuses: Iterable[str], versions: range, *, newest_first: bool = False
    ) -> Iterator[StageRecord]:
        """The group's records in `stage` with one of `statuses`, of `versions`, in version order
        (by_stage_status index, keys of this group only), read a page at a time as the caller goes: a
        caller that stops early reads little."""
        low, high = model_ref(group, versions.start), model_ref(group, max(versions.stop - 1, 0))

        def read(status: str) -> Iterator[StageRecord]:
            try:
                for item in StageRecordItem.by_stage_status.query(
                    f"{stage}#{status}", StageRecordItem.model_ref.between(low, high),
                    scan_index_forward=not newest_first, page_size=PAGE_SIZE,
                ):  # fmt: skip
                    yield item.to_record()
            except PynamoDBException as exc:
                raise failure(exc, f"Query {stage} records of {group}") from exc

        return heapq.merge(*(read(s) for s in statuses), key=lambda r: r.model_version, reverse=newest_first)

    def live_versions(self, stage: str) -> Iterator[tuple[str, int]]:
        """(group, version) of every live deployment in `stage` (the sparse by_live index, keys only)."""
        try:
            for item in StageRecordItem.by_live.query(stage):
                group, _, version = item.model_ref.rpartition("#")
                yield group, int(version)
        except PynamoDBException as exc:
            raise failure(exc, f"Query live deployments in {stage}") from exc

    def records_at(self, keys: Iterable[tuple[str, int, str]]) -> list[StageRecord]:
        """The stage records at (group, version, stage), those that exist (BatchGetItem, consistent)."""
        wanted = [(version_pk(g, v), STAGE_PREFIX + stage) for g, v, stage in keys]
        try:
            return [item.to_record() for item in StageRecordItem.batch_get(wanted, consistent_read=True)]
        except PynamoDBException as exc:
            raise failure(exc, "BatchGetItem stage records") from exc

    def all_records(self, stages: Iterable[str], group: str | None = None) -> Iterator[StageRecord]:
        """Every stage record (of one model group if given), through the by_stage_status index (no Scan)."""
        for stage in stages:
            for status in STATUSES:
                yield from self.records_by_stage_status(stage, status, group)

    # ------------------------------------------------------------------ metrics history
    def save_metrics_point(self, point: MetricsPoint, expires_at: datetime) -> None:
        """One window of a stage's metrics (the same window again overwrites it: idempotent)."""
        item = MetricsPointItem(
            metrics_pk(point.group, point.version, point.stage),
            point.window_end,
            model_group=point.group,
            model_version=point.version,
            model_stage=point.stage,
            endpoint_name=point.endpoint_name,
            window_start=point.window_start,
            values=point.values,
            expires_at=expires_at,
        )
        try:
            item.save()
        except PynamoDBException as exc:
            raise failure(exc, f"PutItem metrics {point.group}/{point.version}/{point.stage}") from exc

    def metrics_history(self, group: str, version: int, stage: str, since: str | None = None) -> list[MetricsPoint]:
        """The stage's windows that ended at or after `since` (ISO 8601; None: all kept), oldest first.
        Items past their TTL that DynamoDB has not deleted yet are left out by the same bound."""
        condition = MetricsPointItem.sk >= since if since else None
        try:
            return [item.to_point() for item in MetricsPointItem.query(metrics_pk(group, version, stage), condition)]
        except PynamoDBException as exc:
            raise failure(exc, f"Query metrics {group}/{version}/{stage}") from exc

    # ------------------------------------------------------------------ the one write
    def commit(
        self,
        state: VersionState,
        records: Iterable[StageRecord],
        entry: AuditEntry | None,
        source_version: str | None,
    ) -> None:
        """Stage records + audit entry + head (idempotency mark, chain head) in one transaction.

        The head's condition makes the whole change fail if anyone wrote since `state` was read, or if
        the registry change is not newer than the one applied (never go back in source time). Without
        an entry (a registry change that changes no governance fact) the head keeps its chain and only
        its mark moves.
        """
        if state.head is None and self.audit_items(state.group, state.version, limit=1):
            # a head over a trail whose head is gone would restart the chain and hide it: leave it to a person
            raise AuditChainBroken(
                f"{state.group} v{state.version}: audit items exist for a version with no head; the trail is "
                "broken and left as it is (govsync audit verify names what is wrong)"
            )
        pk = version_pk(state.group, state.version)
        new_source = source_version if source_version is not None else state.source_version
        head = VersionHeadItem(
            pk,
            HEAD_SK,
            model_group=state.group,
            model_version=state.version,
            model_ref=model_ref(state.group, state.version),
            source_version=new_source,
            audit_seq=entry.seq if entry else state.audit_seq,
            audit_head=entry.hash if entry else state.audit_head,
        )
        condition: Condition
        if state.head is None:
            condition = VersionHeadItem.pk.does_not_exist()
        else:
            condition = VersionHeadItem.audit_seq == state.audit_seq
            if source_version is not None and state.source_version is not None:
                condition &= VersionHeadItem.source_version < source_version
        records = list(records)
        try:
            with TransactWrite(connection=self._connection) as transaction:
                transaction.save(head, condition=condition)
                if state.head is None:  # a new version: nothing of it told yet
                    transaction.save(NotifiedItem(pk, NOTIFIED_SK, notified_seq=0))
                for record in records:
                    transaction.save(StageRecordItem.from_record(record))
                if entry is not None:
                    transaction.save(AuditItem.from_entry(entry), condition=AuditItem.pk.does_not_exist())
                for key, change in tally_changes(state.group, state.counted, records).items():
                    self._tally(transaction, key, change)
                for record in uncounted_left(state, records):  # the version's others: counted now too
                    self._count(transaction, record)
                for item in lineage_items(state, records):  # the reverse query's keys it adds
                    transaction.save(item)
        except TransactWriteError as exc:
            reasons = [r.code for r in (exc.cancellation_reasons or []) if r is not None]
            if "ConditionalCheckFailed" in reasons:
                raise ConcurrentChange(f"version {state.group}/{state.version} changed concurrently") from exc
            raise failure(exc, "TransactWriteItems") from exc
        if self.on_commit is not None:
            self.on_commit(state, entry)

    def mark_notified(self, group: str, version: int, seq: int) -> bool:
        """Record the version's notifications told up to entry `seq` (never back); False if told already."""
        item = NotifiedItem(version_pk(group, version), NOTIFIED_SK)
        try:
            item.update(
                actions=[NotifiedItem.notified_seq.set(seq)],
                condition=NotifiedItem.notified_seq.does_not_exist() | (NotifiedItem.notified_seq < seq),
            )
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise failure(exc, f"UpdateItem notified {group}/{version}") from exc
        return True
