"""Registry sync: an event names a package; the registry says what it is; the table follows."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from govsync.domain.artifacts import ArtifactCopy, ValidationMetrics
from govsync.domain.deploy_requests import DeployRequest, to_send
from govsync.domain.errors import RejectedEvent
from govsync.domain.events import PackageRef, check_model_package_event
from govsync.domain.governance import Governance, resolve_governance
from govsync.domain.lineage import Lineage
from govsync.domain.package import PackageSnapshot
from govsync.domain.promotion import Planning
from govsync.domain.records import APPROVED, RETIRED, Artifacts, StageRecord
from govsync.domain.registrations import registration_refusal
from govsync.domain.registry_change import Seen, records_after, seen_before
from govsync.domain.version_state import VersionState
from govsync.observability import MetricUnit, logger, metrics
from govsync.services.lineage import LineageReader
from govsync.services.messages import Consumer, Message
from govsync.services.ports import Queue, Registry
from govsync.services.updates import CommittedUpdate, Update, commit_update, retry_on_conflict
from govsync.settings import SyncSettings

MAX_RACE_ATTEMPTS = 3

type RecordedLineage = tuple[Lineage | None, tuple[str, ...]]  # what it says, the expected kinds it lacks


class Outcome(StrEnum):
    UPSERTED = "upserted"
    DUPLICATE = "duplicate"
    STALE = "stale"
    REJECTED = "rejected"


class ArtifactCopies(Protocol):
    def sync(
        self, pkg: PackageSnapshot, prior: Sequence[ArtifactCopy], prior_metrics: ValidationMetrics, *, fresh: bool
    ) -> Artifacts: ...


class UseCases(Protocol):
    def evaluate(self, record: StageRecord, *, trigger: str, actor: str) -> object: ...

    def retire_if_all_retired(self, use_case_id: str, *, trigger: str, actor: str) -> object: ...


def send_requests(queue: Queue | None, requests: list[DeployRequest]) -> None:
    """Hand open deploy requests to the deploy function (idempotent there: a repeat is skipped)."""
    if queue is None or not queue.configured:
        return
    for request in requests:
        queue.send_json(request.to_json())
        logger.info(
            "deploy requested",
            action=request.action.value,
            model_group=request.model_group,
            model_version=request.model_version,
            stage=request.stage,
        )
        metrics.add_metric(name="DeploysRequested", unit=MetricUnit.Count, value=1)


@dataclass
class SyncInputs:
    """What a sync reads or copies once, however many lost races make it re-read the version: the
    governance metadata and the artifacts' central copies."""

    governance: Governance | None = None
    artifacts: Artifacts | None = None
    lineage: RecordedLineage | None = None

    def resolve(
        self,
        governance: Callable[[], Governance],
        artifacts: Callable[[], Artifacts],
        lineage: Callable[[], RecordedLineage],
    ) -> tuple[Governance, Artifacts, RecordedLineage]:
        if self.governance is None:
            self.governance = governance()
        if self.lineage is None:
            self.lineage = lineage()
        if self.artifacts is None:
            self.artifacts = artifacts()
        return self.governance, self.artifacts, self.lineage

    def resolved(self) -> tuple[Governance, Artifacts, RecordedLineage]:
        if self.governance is None or self.artifacts is None or self.lineage is None:
            raise RuntimeError("a change was written before its inputs were resolved")
        return self.governance, self.artifacts, self.lineage


@dataclass(kw_only=True)
class RegistrySync(Consumer):
    settings: SyncSettings
    registry: Registry
    artifacts: ArtifactCopies | None = None
    deploy_requests: Queue | None = None
    use_cases: UseCases | None = None
    lineage: LineageReader | None = None

    def handle_message(self, body: str, message_id: str, receive_count: int = 1) -> Outcome:
        """One SQS message. Retryable failures raise (the batch reports the item); the rest is
        acknowledged, rejected messages after being sent to the dead-letter queue with a reason.
        `receive_count` > 1 means an earlier attempt failed, perhaps after copying artifacts."""

        def handle(message: Message) -> Outcome:
            ref = check_model_package_event(message.envelope(), self.settings.event_policy)
            return self.sync(ref, redelivered=receive_count > 1, message_id=message_id)

        return self.consume(
            Message(body, message_id, receive_count),
            handle,
            rejected=Outcome.REJECTED,
            what="event",
            metric="EventsRejected",
        )

    def sync(
        self,
        ref: PackageRef,
        *,
        redelivered: bool = True,
        package: PackageSnapshot | None = None,
        message_id: str | None = None,
    ) -> Outcome:
        """Bring the version's records in line with what the registry holds now. `redelivered=False`
        (a first delivery of a version never synced before) lets small copies skip the look for a copy
        an earlier attempt left. `package`: the package as the registry described it, when the
        caller just read it (the reconciler). `message_id`: the message (or run) making the change; the deploy
        requests a change opens are sent by the message that made it, once (a duplicate delivery of
        the same event is another message and sends nothing)."""
        pkg = package or self.registry.describe_package(ref.arn, ref.region)
        logger.append_keys(model_group=pkg.group, model_version=pkg.version)
        refusal = registration_refusal(self.settings.dev_accounts, pkg.group, pkg.source_account, pkg.account)
        if refusal is not None:  # before any copy or write: nothing of it is kept
            raise RejectedEvent(f"{pkg.arn}: {refusal}", event_id=ref.event_id)
        inputs = SyncInputs()  # resolved once across lost races, after the duplicate check

        def attempt() -> tuple[VersionState, Seen, CommittedUpdate | None]:
            state = self.store.load_version(pkg.group, pkg.version)
            seen = seen_before(state, pkg, self.config.first)
            if seen in (Seen.DUPLICATE, Seen.STALE):
                return state, seen, None
            governance, artifacts, lineage = inputs.resolve(
                lambda: self._governance(pkg),
                lambda: self._copy_artifacts(pkg, state.records, fresh=not redelivered and state.head is None),
                lambda: self._lineage(pkg, state.records),
            )
            now = self.now()
            plan = Planning(self.config, self.targets, ref.event_id, now, message_id, pkg, self.settings.approvers)
            after, person = records_after(state.records, pkg, governance, artifacts, plan, lineage)
            update = Update(
                after,
                ref.event_id,
                person or pkg.actor,
                "registry-sync",
                source_time=pkg.last_modified_time.isoformat(),
                recorded_at=now,
                source_version=None if seen is Seen.LOST else pkg.source_version,
            )
            return state, seen, commit_update(self.store, state, update)

        state, seen, written = retry_on_conflict(
            attempt, what=f"version {pkg.group}/{pkg.version}", attempts=MAX_RACE_ATTEMPTS
        )
        if written is None:
            outcome = Outcome.STALE if seen is Seen.STALE else Outcome.DUPLICATE
            logger.info("change already applied", outcome=outcome.value, source_version=pkg.source_version)
            metrics.add_metric(
                name="Duplicates" if outcome is Outcome.DUPLICATE else "StaleEvents", unit=MetricUnit.Count, value=1
            )
            # nothing opened now; a redelivery of the message that opened requests sends them again
            send_requests(
                self.deploy_requests, to_send(state.records, state.records, message_id, redelivered=redelivered)
            )
            return outcome
        governance, artifacts, (_, lineage_missing) = inputs.resolved()  # set by the attempt that was written
        logger.info(
            "record upserted",
            stages=sorted(written.changes),
            audit_seq=written.entry.seq if written.entry else None,
            metadata_complete=not governance.missing,
            artifact_status=artifacts.status,
            lineage_missing=list(lineage_missing),
        )
        metrics.add_metric(name="RecordsUpserted", unit=MetricUnit.Count, value=1)
        if governance.missing:
            metrics.add_metric(name="MetadataIncomplete", unit=MetricUnit.Count, value=1)
        if lineage_missing:
            metrics.add_metric(name="LineageIncomplete", unit=MetricUnit.Count, value=1)
        send_requests(
            self.deploy_requests, to_send(state.records, written.records, message_id, redelivered=redelivered)
        )
        self._evaluate_use_case(
            state.records, written.records, ref.event_id, written.entry.actor if written.entry else pkg.actor
        )
        return Outcome.UPSERTED

    def _evaluate_use_case(
        self, before: dict[str, StageRecord], after: dict[str, StageRecord], event_id: str, actor: str
    ) -> None:
        """A new approval may complete its use case's stage (an unauthorized one counts for nothing); a
        retirement may retire it."""
        if self.use_cases is None:
            return
        newly_retired = (
            r.use_case_id
            for s, r in after.items()
            if r.model_status == RETIRED and (s not in before or before[s].model_status != RETIRED)
        )
        if use_case_id := next(filter(None, newly_retired), None):
            self.use_cases.retire_if_all_retired(use_case_id, trigger=event_id, actor=actor)
            return
        for stage, record in after.items():
            old = before.get(stage)
            if record.registry_decision is not None and not record.registry_decision.authorized:
                continue
            if record.use_case_id and record.model_status == APPROVED and (old is None or old.model_status != APPROVED):
                self.use_cases.evaluate(record, trigger=event_id, actor=actor)
                return

    def _copy_artifacts(self, pkg: PackageSnapshot, records: dict[str, StageRecord], *, fresh: bool) -> Artifacts:
        """Copies before the transaction: the record never says "copied" before the copy exists."""
        if self.artifacts is None:
            return Artifacts()
        current = next(iter(records.values()), None)
        prior = current.artifacts if current else []
        prior_metrics = current.model_validation_metrics if current else {}
        return self.artifacts.sync(pkg, prior, prior_metrics, fresh=fresh)

    def _lineage(self, pkg: PackageSnapshot, records: dict[str, StageRecord]) -> RecordedLineage:
        """What the version's lineage says (read before the transaction, like the copies)."""
        if self.lineage is None:
            return None, ()
        prior = next(iter(records.values()), None)
        return self.lineage.read(pkg, prior.lineage if prior else None)

    def _governance(self, pkg: PackageSnapshot) -> Governance:
        """Card and metadata first; the group's tags are read only when those leave keys unset."""
        keys = self.settings.metadata_keys
        governance = resolve_governance(pkg, {}, keys)
        if not governance.missing:
            return governance
        return resolve_governance(pkg, self.registry.group_tags(pkg.group_arn, pkg.region), keys)
