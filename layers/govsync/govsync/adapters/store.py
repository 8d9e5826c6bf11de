"""DynamoDB adapter (PynamoDB): the governance table, single-table design.

Items of one model version share a partition `MODEL#<group>#<version>`:

- `V#HEAD`          the version head: last applied registry change (`source_version`, the idempotency
                    mark) and the audit chain head (`audit_seq`, `audit_head`); every write is
                    conditional on it
- `V#STAGE#<stage>` one stage record per stage (GSIs `by_stage_status`, `by_use_case`)
- `AUDIT#<seq>`     append-only audit entries, hash-chained

A use case has its own partition `USECASE#<id>`: one item `U#HEAD` with its lifecycle stage and the
append-only history of its transitions (every write conditional on the number of transitions). Use
cases are listed through the by_stage_status index too, under the key `USECASE` (stage record keys
always hold a `#`), sorted by id.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    DiscriminatorAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.connection import Connection
from pynamodb.exceptions import PutError, PynamoDBException, TransactWriteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from govsync.domain.audit import GENESIS, AuditEntry
from govsync.domain.errors import ConcurrentChange, GovsyncError, RetryableError, classify
from govsync.domain.records import STATUSES, StageRecord
from govsync.domain.usecases import UseCase

HEAD_SK = "V#HEAD"
STAGE_PREFIX = "V#STAGE#"
AUDIT_PREFIX = "AUDIT#"
USE_CASE_SK = "U#HEAD"


def version_pk(group: str, version: int) -> str:
    return f"MODEL#{group}#{version}"


def model_ref(group: str, version: int) -> str:
    return f"{group}#{version:010d}"


class GovernanceItem(Model):
    class Meta:
        table_name = "unbound"  # bound at run time by GovernanceStore (no import-time settings)
        region = "us-east-1"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = DiscriminatorAttribute()


class ByStageStatus[ItemT: Model](GlobalSecondaryIndex[ItemT]):
    """Stage records by `<stage>#<status>`; use cases share it under the key `USECASE`."""

    class Meta:
        index_name = "by_stage_status"
        projection = AllProjection()

    stage_status = UnicodeAttribute(hash_key=True)
    model_ref = UnicodeAttribute(range_key=True)


class ByUseCase(GlobalSecondaryIndex["StageRecordItem"]):
    class Meta:
        index_name = "by_use_case"
        projection = AllProjection()

    use_case_id = UnicodeAttribute(hash_key=True)
    model_ref = UnicodeAttribute(range_key=True)


class VersionHeadItem(GovernanceItem, discriminator="head"):
    model_group = UnicodeAttribute()
    model_version = NumberAttribute()
    source_version = UnicodeAttribute(null=True)
    audit_seq = NumberAttribute(default=0)
    audit_head = UnicodeAttribute()


class StageRecordItem(GovernanceItem, discriminator="stage"):
    by_stage_status = ByStageStatus["StageRecordItem"]()
    by_use_case = ByUseCase()

    stage_status = UnicodeAttribute()
    model_ref = UnicodeAttribute()
    model_group = UnicodeAttribute()
    model_version = NumberAttribute()
    model_stage = UnicodeAttribute()
    model_status = UnicodeAttribute()
    use_case_id = UnicodeAttribute(null=True)
    use_case_name = UnicodeAttribute(null=True)
    use_case_stage = UnicodeAttribute(null=True)
    model_owner = UnicodeAttribute(null=True)
    model_lob = UnicodeAttribute(null=True)
    model_project = UnicodeAttribute(null=True)
    model_risk = UnicodeAttribute(null=True)
    model_validation_metrics = MapAttribute(default=dict)
    model_monitoring_metrics = MapAttribute(default=dict)
    model_audit_timestamp = UnicodeAttribute()
    model_audit_user = UnicodeAttribute()
    model_package_arn = UnicodeAttribute()
    source_account = UnicodeAttribute()
    registry_last_modified = UnicodeAttribute()
    metadata_complete = BooleanAttribute()
    metadata_missing = ListAttribute(of=UnicodeAttribute, default=list)
    stage_description = UnicodeAttribute(null=True)
    artifacts = ListAttribute(default=list)
    artifact_status = UnicodeAttribute(default="none")
    registry_status = UnicodeAttribute(null=True)
    deployment = MapAttribute(default=dict)
    monitoring_alert = MapAttribute(default=dict)

    @classmethod
    def from_record(cls, record: StageRecord) -> StageRecordItem:
        data = record.to_json()
        return cls(
            version_pk(record.model_group, record.model_version),
            STAGE_PREFIX + record.model_stage,
            stage_status=f"{record.model_stage}#{record.model_status}",
            model_ref=model_ref(record.model_group, record.model_version),
            **data,
        )

    def to_record(self) -> StageRecord:
        values = {name: _plain(getattr(self, name)) for name in StageRecord.__dataclass_fields__}
        values["model_version"] = int(values["model_version"])
        values["metadata_missing"] = tuple(values["metadata_missing"] or ())
        values["artifacts"] = list(values["artifacts"] or [])
        values["deployment"] = dict(values["deployment"] or {})
        values["monitoring_alert"] = dict(values["monitoring_alert"] or {})
        values["model_monitoring_metrics"] = dict(values["model_monitoring_metrics"] or {})
        return StageRecord(**values)


class AuditItem(GovernanceItem, discriminator="audit"):
    model_group = UnicodeAttribute()
    model_version = NumberAttribute()
    seq = NumberAttribute()
    event_id = UnicodeAttribute()
    actor = UnicodeAttribute()
    action = UnicodeAttribute()
    changes = MapAttribute(default=dict)
    source_time = UnicodeAttribute()
    recorded_at = UnicodeAttribute()
    prev_hash = UnicodeAttribute()
    hash = UnicodeAttribute()

    @classmethod
    def from_entry(cls, entry: AuditEntry) -> AuditItem:
        return cls(
            version_pk(entry.model_group, entry.model_version),
            f"{AUDIT_PREFIX}{entry.seq:010d}",
            **{name: getattr(entry, name) for name in AuditEntry.__dataclass_fields__},
        )

    def to_entry(self) -> AuditEntry:
        values = {name: getattr(self, name) for name in AuditEntry.__dataclass_fields__}
        values["model_version"] = int(values["model_version"])
        values["seq"] = int(values["seq"])
        values["changes"] = _plain(self.changes)
        return AuditEntry(**values)


USE_CASE_LISTING = "USECASE"


class UseCaseItem(GovernanceItem, discriminator="usecase"):
    listing = ByStageStatus["UseCaseItem"]()

    stage_status = UnicodeAttribute(default=USE_CASE_LISTING)
    model_ref = UnicodeAttribute(null=True)  # the use case id: the listing's sort key
    use_case_id = UnicodeAttribute()
    use_case_name = UnicodeAttribute(null=True)
    use_case_stage = UnicodeAttribute()
    seq = NumberAttribute(default=0)
    history = ListAttribute(default=list)

    def to_use_case(self) -> UseCase:
        return UseCase(
            use_case_id=self.use_case_id,
            use_case_name=self.use_case_name,
            stage=self.use_case_stage,
            seq=int(self.seq),
            history=tuple(_plain(list(self.history or []))),
        )


def _failure(exc: PynamoDBException, action: str) -> GovsyncError:
    """A PynamoDB error as the domain's transient, configuration or permanent error."""
    code = exc.cause_response_code or ""
    if not code:  # no answer from DynamoDB (connection, timeout): may work next time
        return RetryableError(f"{action}: {exc.msg}")
    cause = getattr(exc, "cause", None)
    status = int(getattr(cause, "response", {}).get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    table = GovernanceItem.Meta.table_name
    return classify(action, code, status, exc.cause_response_message or exc.msg, f"on table {table}")


def use_case_pk(use_case_id: str) -> str:
    return f"USECASE#{use_case_id}"


def _plain(value: Any) -> Any:
    """MapAttribute/Decimal values back to plain JSON types (so hashes recompute identically)."""
    if isinstance(value, MapAttribute):
        value = value.as_dict()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "as_tuple"):  # Decimal
        return int(value) if value == int(value) else float(value)
    return value


@dataclass
class VersionState:
    """What the table holds for one version: its head and its stage records."""

    group: str
    version: int
    head: VersionHeadItem | None = None
    records: dict[str, StageRecord] = field(default_factory=dict)

    @property
    def source_version(self) -> str | None:
        return self.head.source_version if self.head else None

    @property
    def audit_seq(self) -> int:
        return int(self.head.audit_seq) if self.head else 0

    @property
    def audit_head(self) -> str:
        return self.head.audit_head if self.head else GENESIS


_MODELS: tuple[type[Model], ...] = (GovernanceItem, VersionHeadItem, StageRecordItem, AuditItem, UseCaseItem)


class GovernanceStore:
    def __init__(self, table_name: str, region: str, host: str | None = None) -> None:
        for model in _MODELS:
            model.Meta.table_name = table_name
            model.Meta.region = region
            model.Meta.host = host
            model._connection = None
        self._connection = Connection(region=region, host=host)

    # ------------------------------------------------------------------ reads
    def load_version(self, group: str, version: int) -> VersionState:
        state = VersionState(group, version)
        try:
            for item in GovernanceItem.query(
                version_pk(group, version), GovernanceItem.sk.startswith("V#"), consistent_read=True
            ):
                if isinstance(item, VersionHeadItem):
                    state.head = item
                elif isinstance(item, StageRecordItem):
                    state.records[item.model_stage] = item.to_record()
        except PynamoDBException as exc:
            raise _failure(exc, f"Query version {group}/{version}") from exc
        return state

    def applied_versions(self, versions: Iterable[tuple[str, int]], first_stage: str) -> dict[tuple[str, int], str]:
        """For each version that has both its head and its first stage record, the registry change
        the head last applied (BatchGetItem, 100 keys a call, only the attributes needed). A version
        missing from the answer has no record, or lost it."""
        keys = [(version_pk(g, v), sk) for g, v in versions for sk in (HEAD_SK, STAGE_PREFIX + first_stage)]
        heads: dict[tuple[str, int], str] = {}
        records: set[tuple[str, int]] = set()
        attributes = ["pk", "sk", "kind", "model_group", "model_version", "source_version"]
        try:
            for item in GovernanceItem.batch_get(keys, consistent_read=True, attributes_to_get=attributes):
                key = (item.model_group, int(item.model_version))
                if isinstance(item, VersionHeadItem) and item.source_version:
                    heads[key] = item.source_version
                elif isinstance(item, StageRecordItem):
                    records.add(key)
        except PynamoDBException as exc:
            raise _failure(exc, "BatchGetItem version heads") from exc
        return {key: source for key, source in heads.items() if key in records}

    def audit_entries(self, group: str, version: int) -> list[AuditEntry]:
        try:
            return [
                item.to_entry()
                for item in AuditItem.query(
                    version_pk(group, version), AuditItem.sk.startswith(AUDIT_PREFIX), consistent_read=True
                )
            ]
        except PynamoDBException as exc:
            raise _failure(exc, f"Query audit of {group}/{version}") from exc

    def records_by_stage_status(self, stage: str, status: str, group: str | None = None) -> Iterator[StageRecord]:
        """Records with `status` in `stage` (by_stage_status index), of one model group if given."""
        condition = StageRecordItem.model_ref.startswith(f"{group}#") if group else None
        try:
            for item in StageRecordItem.by_stage_status.query(f"{stage}#{status}", condition):
                yield item.to_record()
        except PynamoDBException as exc:
            raise _failure(exc, f"Query {stage}#{status} records") from exc

    def records_by_use_case(self, use_case_id: str) -> Iterator[StageRecord]:
        try:
            for item in StageRecordItem.by_use_case.query(use_case_id):
                yield item.to_record()
        except PynamoDBException as exc:
            raise _failure(exc, f"Query records of use case {use_case_id}") from exc

    def group_records_in_stage(
        self, group: str, stage: str, statuses: Iterable[str], before_version: int
    ) -> list[StageRecord]:
        """The group's records in `stage` with one of `statuses`, of versions before `before_version`
        (by_stage_status index, keys of this group only)."""
        found: list[StageRecord] = []
        low, high = model_ref(group, 0), model_ref(group, max(before_version - 1, 0))
        try:
            for status in statuses:
                found.extend(
                    item.to_record()
                    for item in StageRecordItem.by_stage_status.query(
                        f"{stage}#{status}", StageRecordItem.model_ref.between(low, high)
                    )
                )
        except PynamoDBException as exc:
            raise _failure(exc, f"Query {stage} records of {group}") from exc
        return found

    def all_records(self, stages: Iterable[str], group: str | None = None) -> Iterator[StageRecord]:
        """Every stage record (of one model group if given), through the by_stage_status index (no Scan)."""
        for stage in stages:
            for status in STATUSES:
                yield from self.records_by_stage_status(stage, status, group)

    # ------------------------------------------------------------------ use cases
    def load_use_case(self, use_case_id: str) -> UseCase | None:
        try:
            item = UseCaseItem.get(use_case_pk(use_case_id), USE_CASE_SK, consistent_read=True)
        except UseCaseItem.DoesNotExist:
            return None
        except PynamoDBException as exc:
            raise _failure(exc, f"GetItem use case {use_case_id}") from exc
        return item.to_use_case()

    def use_cases(self) -> Iterator[UseCase]:
        """Every use case, by id (by_stage_status index, no Scan)."""
        try:
            for item in UseCaseItem.listing.query(USE_CASE_LISTING):
                yield item.to_use_case()
        except PynamoDBException as exc:
            raise _failure(exc, "Query use cases") from exc

    def use_case_stages(self, use_case_ids: Iterable[str]) -> dict[str, str]:
        """The current lifecycle stage of each use case that has its item (BatchGetItem)."""
        keys = [(use_case_pk(i), USE_CASE_SK) for i in sorted(set(use_case_ids))]
        if not keys:
            return {}
        try:
            return {item.use_case_id: item.use_case_stage for item in UseCaseItem.batch_get(keys)}
        except PynamoDBException as exc:
            raise _failure(exc, "BatchGetItem use cases") from exc

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
        )
        condition = UseCaseItem.pk.does_not_exist() if expected_seq is None else UseCaseItem.seq == expected_seq
        try:
            item.save(condition=condition)
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise ConcurrentChange(f"use case {use_case.use_case_id} changed concurrently") from exc
            raise _failure(exc, f"PutItem use case {use_case.use_case_id}") from exc

    # ------------------------------------------------------------------ the one write
    def commit(
        self,
        state: VersionState,
        records: Iterable[StageRecord],
        entry: AuditEntry,
        source_version: str | None,
    ) -> None:
        """Stage records + audit entry + head (idempotency mark, chain head) in one transaction.

        The head's condition makes the whole change fail if anyone wrote since `state` was read, or if
        the registry change is not newer than the one applied (never go back in source time).
        """
        pk = version_pk(state.group, state.version)
        new_source = source_version if source_version is not None else state.source_version
        head = VersionHeadItem(
            pk,
            HEAD_SK,
            model_group=state.group,
            model_version=state.version,
            source_version=new_source,
            audit_seq=entry.seq,
            audit_head=entry.hash,
        )
        if state.head is None:
            condition = VersionHeadItem.pk.does_not_exist()
        else:
            condition = VersionHeadItem.audit_seq == state.audit_seq
            if source_version is not None and state.source_version is not None:
                condition &= VersionHeadItem.source_version < source_version
        try:
            with TransactWrite(connection=self._connection) as transaction:
                transaction.save(head, condition=condition)
                for record in records:
                    transaction.save(StageRecordItem.from_record(record))
                transaction.save(AuditItem.from_entry(entry), condition=AuditItem.pk.does_not_exist())
        except TransactWriteError as exc:
            reasons = [r.code for r in (exc.cancellation_reasons or []) if r is not None]
            if "ConditionalCheckFailed" in reasons:
                raise ConcurrentChange(f"version {state.group}/{state.version} changed concurrently") from exc
            raise _failure(exc, "TransactWriteItems") from exc
