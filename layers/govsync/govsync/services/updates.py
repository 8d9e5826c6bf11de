"""The one way a version's records change: read the version, apply a pure function, write the
records with their audit entry in one conditional transaction; when another writer got there first,
read again and apply again."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from govsync.domain.audit import AuditEntry, Changes, new_entry, record_hash
from govsync.domain.errors import ConcurrentChange, RetryableError
from govsync.domain.records import StageRecord, diff_records
from govsync.domain.version_state import VersionState
from govsync.observability import logger
from govsync.services.ports import Store

MAX_RACE_ATTEMPTS = 5


def retry_on_conflict[T](attempt: Callable[[], T], *, what: str, attempts: int = MAX_RACE_ATTEMPTS) -> T:
    """Run `attempt` (read, decide, conditional write) until no concurrent writer gets in the way."""
    for _ in range(attempts):
        try:
            return attempt()
        except ConcurrentChange:
            logger.info("lost a race, re-reading", what=what)
    raise RetryableError(f"{what} kept changing under us")


@dataclass(frozen=True, slots=True)
class Update:
    """What a change asks to write: the version's records after it, and its audit entry's facts."""

    records: dict[str, StageRecord]
    event_id: str
    actor: str
    action: str
    source_time: str
    recorded_at: str
    # the registry change this applies (the head's idempotency mark), None for our own changes
    source_version: str | None = None
    # what the entry records besides the records' changes ({stage: {fact: [before, after]}}), e.g. a
    # refused decision: audited although no record changes
    note: Changes | None = None


@dataclass(frozen=True, slots=True)
class CommittedUpdate:
    records: dict[str, StageRecord]
    entry: AuditEntry | None  # None: the registry changed nothing governance records (no entry)
    changes: Changes


def update_version(
    store: Store,
    group: str,
    version: int,
    change: Callable[[VersionState], Update | None],
    *,
    attempts: int = MAX_RACE_ATTEMPTS,
) -> CommittedUpdate | None:
    """Apply `change` to the version as the table holds it now; None when it asks for nothing (or
    changes nothing and applies no registry change)."""

    def attempt() -> CommittedUpdate | None:
        state = store.load_version(group, version)
        update = change(state)
        return None if update is None else commit_update(store, state, update)

    return retry_on_conflict(attempt, what=f"version {group}/{version}", attempts=attempts)


def commit_update(store: Store, state: VersionState, update: Update) -> CommittedUpdate | None:
    """Write `update` over `state` (as just read): the changed records and one audit entry for what
    changed, in one transaction conditional on the head; None when nothing changes and no registry
    change is applied. Raises ConcurrentChange when another writer got there first."""
    group, version = state.group, state.version
    changes = diff_records(state.records, update.records)
    for stage, facts in (update.note or {}).items():
        changes[stage] = {**changes.get(stage, {}), **facts}
    if not changes and update.source_version is None:
        return None
    changed = [update.records[s] for s in update.records if update.records[s] != state.records.get(s)]
    if not changes:
        # the registry moved (LastModifiedTime) but no governance fact did: the head's mark and the
        # records' source time follow, and no audit entry is written (one entry per real change)
        store.commit(state, changed, None, update.source_version)
        return CommittedUpdate(update.records, None, changes)
    entry = new_entry(
        group=group,
        version=version,
        seq=state.audit_seq + 1,
        prev_hash=state.audit_head,
        event_id=update.event_id or "govsync",
        actor=update.actor,
        action=update.action,
        changes=changes,
        source_time=update.source_time,
        recorded_at=update.recorded_at,
        states={stage: record_hash(update.records[stage]) for stage in changes if stage in update.records},
    )
    store.commit(state, changed, entry, update.source_version)
    return CommittedUpdate(update.records, entry, changes)


RecordsChange = Callable[[dict[str, StageRecord]], dict[str, StageRecord] | None]


@dataclass(frozen=True, slots=True)
class Audit:
    """Who makes one of our own changes, why, and when: its audit entry's facts."""

    event_id: str
    actor: str
    action: str
    now: str
    note: Changes | None = None


def update_records(
    store: Store,
    group: str,
    version: int,
    change: RecordsChange,
    audit: Audit | Callable[[dict[str, StageRecord]], Audit],
) -> dict[str, StageRecord] | None:
    """A change our own functions make (deployments, endpoint states, metrics): `change` maps the
    records to new ones (or None: nothing to do); the records written, or None. `audit` may depend on
    the records after the change (who made it: govsync, or SageMaker that rolled a deployment back)."""

    def apply(state: VersionState) -> Update | None:
        after = change(dict(state.records))
        if after is None:
            return None
        facts = audit(after) if callable(audit) else audit
        return Update(
            after, facts.event_id, facts.actor, facts.action, source_time=facts.now, recorded_at=facts.now,
            note=facts.note,
        )  # fmt: skip

    written = update_version(store, group, version, apply)
    return written.records if written else None


def update_stage_record(
    store: Store,
    where: tuple[str, int, str],
    change: Callable[[StageRecord], StageRecord | None],
    audit: Audit,
    create: StageRecord | None = None,
) -> dict[str, StageRecord] | None:
    """Change one stage record of a version (`where`: group, version, stage; `create`: the record to
    start from when the stage has none yet), with its audit entry; the records written, or None."""
    group, version, stage = where

    def apply(records: dict[str, StageRecord]) -> dict[str, StageRecord] | None:
        record = records.get(stage) or create
        updated = change(record) if record is not None else None
        return None if updated is None else {**records, stage: updated}

    return update_records(store, group, version, apply, audit)
