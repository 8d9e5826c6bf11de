"""DynamoDB adapter (PynamoDB): the governance table, single-table design.

Items of one model version share a partition `MODEL#<group>#<version>`:

- `V#HEAD`          the version head: last applied registry change (`source_version`, the idempotency
                    mark) and the audit chain head (`audit_seq`, `audit_head`); every write is
                    conditional on it
- `V#STAGE#<stage>` one stage record per stage (GSIs `by_stage_status`, `by_use_case`)
- `AUDIT#<seq>`     append-only audit entries, hash-chained

A deployed stage's metrics history has its own partition `METRICS#<group>#<version>#<stage>`: one
item per aggregation window, sorted by the window's end, deleted by DynamoDB's TTL (`expires_at`).
It is kept apart from the version's partition so loading a version never reads its history.

A use case has its own partition `USECASE#<id>`: one item `U#HEAD` with its lifecycle stage and the
append-only history of its transitions (every write conditional on the number of transitions). Use
cases are listed through the by_stage_status index too, under the key `USECASE` (stage record keys
always hold a `#`), sorted by id. `U#TALLY#<group>#<stage>` items count the use case's records and
approved ones per model group and stage (the lifecycle's reads).

A stage record whose deployment is live carries `live_stage`: the sparse index `by_live` lists the live
deployments of a stage (keys only) without reading the records of every version ever deployed.

A scheduled job's run has its partition `RUN#<job>#<run_id>`: `RUN` (parts planned and done, the
summary) and one `PART#<item>#<part>` per work item part done (its counts); both expire (TTL). Runs are
listed through by_stage_status under `RUN#<job>`, sorted by their start.

Every version's audit trail is listed through by_stage_status too, sorted by `model_ref`: its head under
`TRAIL`, its first entry under `TRAILSTART` (a trail whose head is gone is still found). Verifying and
anchoring every chain reads these, not a Scan.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    DiscriminatorAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection
from pynamodb.models import Model

from govsync.adapters.dynamodb_attributes import plain, stored_attributes
from govsync.domain.artifacts import ArtifactCopy
from govsync.domain.audit import AuditEntry
from govsync.domain.decisions import Decision
from govsync.domain.deployment import Deployment, DeployState
from govsync.domain.endpoint_metrics import EndpointMetrics, MonitoringAlert
from govsync.domain.gate_results import GateReport
from govsync.domain.lineage import Lineage
from govsync.domain.record_facts import Reminder, Retirement, Review
from govsync.domain.records import StageRecord
from govsync.domain.registry_decisions import RegistryDecision
from govsync.domain.usecases import Counted, ModelTally, UseCase, counted

HEAD_SK = "V#HEAD"
STAGE_PREFIX = "V#STAGE#"
AUDIT_PREFIX = "AUDIT#"
USE_CASE_SK = "U#HEAD"
TALLY_PREFIX = "U#TALLY#"


def version_pk(group: str, version: int) -> str:
    return f"MODEL#{group}#{version}"


def audit_sk(seq: int) -> str:
    return f"{AUDIT_PREFIX}{seq:010d}"


def model_ref(group: str, version: int) -> str:
    return f"{group}#{version:010d}"


def version_of(ref: str) -> tuple[str, int]:
    """The (group, version) a `model_ref` names."""
    group, _, version = ref.rpartition("#")
    return group, int(version)


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


class ByLive(GlobalSecondaryIndex["StageRecordItem"]):
    """Live deployments by stage (sparse: only records whose deployment is live have `live_stage`)."""

    class Meta:
        index_name = "by_live"
        projection = IncludeProjection(["kind"])  # keys, and what PynamoDB tells the items apart by

    live_stage = UnicodeAttribute(hash_key=True)
    model_ref = UnicodeAttribute(range_key=True)


TRAIL_LISTING = "TRAIL"  # version heads in by_stage_status
TRAIL_START_LISTING = "TRAILSTART"  # first audit entries in by_stage_status


class VersionHeadItem(GovernanceItem, discriminator="head"):
    listing = ByStageStatus["VersionHeadItem"]()

    stage_status = UnicodeAttribute(default=TRAIL_LISTING)
    model_ref = UnicodeAttribute(null=True)  # the trail listing's sort key
    model_group = UnicodeAttribute()
    model_version = NumberAttribute()
    source_version = UnicodeAttribute(null=True)
    audit_seq = NumberAttribute(default=0)
    audit_head = UnicodeAttribute()


NOTIFIED_SK = "V#NOTIFIED"


class NotifiedItem(GovernanceItem, discriminator="notified"):
    """How far the version's notifications were told (`services.notifications`); apart from the head,
    which every change writes whole."""

    notified_seq = NumberAttribute(default=0)


class StageRecordItem(GovernanceItem, discriminator="stage"):
    # the record's fields, each an attribute of the class being made (a class body's locals() is the
    # namespace PynamoDB builds the item from)
    locals().update(stored_attributes(StageRecord))
    by_stage_status = ByStageStatus["StageRecordItem"]()
    by_use_case = ByUseCase()
    by_live = ByLive()

    stage_status = UnicodeAttribute()
    model_ref = UnicodeAttribute()
    # what the record counts in its use case's tallies (absent: written before the tallies, not counted)
    counted_use_case = UnicodeAttribute(null=True)
    counted_approved = BooleanAttribute(null=True)
    live_stage = UnicodeAttribute(null=True)  # the stage, while the deployment is live (index by_live)

    @classmethod
    def from_record(cls, record: StageRecord) -> StageRecordItem:
        data = record.to_json()
        count = counted(record)
        return cls(
            version_pk(record.model_group, record.model_version),
            STAGE_PREFIX + record.model_stage,
            stage_status=f"{record.model_stage}#{record.model_status}",
            model_ref=model_ref(record.model_group, record.model_version),
            counted_use_case=count[0] if count else "",
            counted_approved=count[1] if count else False,
            live_stage=record.model_stage if record.deployment.status is DeployState.LIVE else None,
            **data,
        )

    def counted(self) -> Counted:
        """What the record counts in its use case's tallies (None: nothing, or not counted yet)."""
        return (self.counted_use_case, bool(self.counted_approved)) if self.counted_use_case else None

    def to_record(self) -> StageRecord:
        values = {name: plain(getattr(self, name)) for name in StageRecord.__dataclass_fields__}
        values["model_version"] = int(values["model_version"])
        values["metadata_missing"] = tuple(values["metadata_missing"] or ())
        values["artifacts"] = [ArtifactCopy.from_json(a) for a in values["artifacts"] or []]
        values["decisions"] = [Decision.from_json(d) for d in values["decisions"] or []]
        values["deployment"] = Deployment.from_json(values["deployment"])
        values["monitoring_alert"] = MonitoringAlert.from_json(values["monitoring_alert"])
        values["registry_decision"] = RegistryDecision.from_json(values["registry_decision"])
        values["gates"] = GateReport.from_json(values["gates"])
        values["lineage"] = Lineage.from_json(values["lineage"])
        values["lineage_missing"] = tuple(values["lineage_missing"] or ())
        values["review"] = Review.from_json(values["review"])
        values["approval_reminder"] = Reminder.from_json(values["approval_reminder"])
        values["retirement"] = Retirement.from_json(values["retirement"])
        values["model_monitoring_metrics"] = EndpointMetrics.from_json(values["model_monitoring_metrics"])
        values["model_validation_metrics"] = dict(values["model_validation_metrics"] or {})
        return StageRecord(**values)


class AuditItem(GovernanceItem, discriminator="audit"):
    locals().update(stored_attributes(AuditEntry))  # the entry's fields, as StageRecordItem has the record's
    listing = ByStageStatus["AuditItem"]()
    stage_status = UnicodeAttribute(null=True)  # TRAIL_START_LISTING on a chain's first entry
    model_ref = UnicodeAttribute(null=True)

    @classmethod
    def from_entry(cls, entry: AuditEntry) -> AuditItem:
        first = entry.seq == 1
        return cls(
            version_pk(entry.model_group, entry.model_version),
            audit_sk(entry.seq),
            stage_status=TRAIL_START_LISTING if first else None,
            model_ref=model_ref(entry.model_group, entry.model_version) if first else None,
            **{name: getattr(entry, name) for name in AuditEntry.__dataclass_fields__},
        )

    def to_entry(self) -> AuditEntry:
        values = {name: getattr(self, name) for name in AuditEntry.__dataclass_fields__}
        values["model_version"] = int(values["model_version"])
        values["seq"] = int(values["seq"])
        values["changes"] = plain(values["changes"])
        values["states"] = dict(plain(values["states"]) or {})
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
    history: ListAttribute[Any] = ListAttribute(default=list)
    owner = UnicodeAttribute(null=True)
    lob = UnicodeAttribute(null=True)
    description = UnicodeAttribute(null=True)

    def to_use_case(self) -> UseCase:
        return UseCase(
            use_case_id=self.use_case_id,
            use_case_name=self.use_case_name,
            stage=self.use_case_stage,
            seq=int(self.seq),
            history=tuple(plain(list(self.history or []))),
            owner=self.owner,
            lob=self.lob,
            description=self.description,
        )


class UseCaseTallyItem(GovernanceItem, discriminator="usecase-tally"):
    """A use case's count of one model group's stage records in one stage, and of the approved ones
    (`govsync.domain.usecases.ModelTally`): added to in the transaction that writes the records."""

    model_group = UnicodeAttribute()
    model_stage = UnicodeAttribute()
    records = NumberAttribute(default=0)
    approved = NumberAttribute(default=0)

    def to_tally(self) -> ModelTally:
        return ModelTally(self.model_group, self.model_stage, int(self.records), int(self.approved))


def tally_sk(group: str, stage: str) -> str:
    return f"{TALLY_PREFIX}{group}#{stage}"


def use_case_pk(use_case_id: str) -> str:
    return f"USECASE#{use_case_id}"
