"""Changes our own functions make to a version's records (deployments, endpoint states): read the
version, change its records, write them with their audit entry in one transaction; re-read and
re-apply when another writer got there first."""

from __future__ import annotations

from collections.abc import Callable

from govsync.domain.audit import new_entry
from govsync.domain.errors import ConcurrentChange, RetryableError
from govsync.domain.promotion import supersede
from govsync.domain.records import StageRecord, diff_records

MAX_RACE_ATTEMPTS = 5

Change = Callable[[dict[str, StageRecord]], dict[str, StageRecord] | None]


def update_version(
    store,  # GovernanceStore
    group: str,
    version: int,
    change: Change,
    *,
    event_id: str,
    actor: str,
    action: str,
    now: str,
) -> dict[str, StageRecord] | None:
    """Apply `change` (records -> new records, or None for "nothing to do"); return the records
    written, or None when nothing changed."""
    for _ in range(MAX_RACE_ATTEMPTS):
        state = store.load_version(group, version)
        after = change(dict(state.records))
        if after is None:
            return None
        changes = diff_records(state.records, after)
        if not changes:
            return None
        entry = new_entry(
            group=group,
            version=version,
            seq=state.audit_seq + 1,
            prev_hash=state.audit_head,
            event_id=event_id or "govsync",
            actor=actor,
            action=action,
            changes=changes,
            source_time=now,
            recorded_at=now,
        )
        changed = [after[stage] for stage in after if after[stage] != state.records.get(stage)]
        try:
            store.commit(state, changed, entry, None)
        except ConcurrentChange:
            continue
        return after
    raise RetryableError(f"version {group}/{version} kept changing under us")


def supersede_previous(
    store,  # GovernanceStore
    group: str,
    stage: str,
    *,
    endpoint_name: str,
    previous: int,
    by_version: int,
    event_id: str,
    actor: str,
    now: str,
) -> None:
    """Once `by_version` is live on the endpoint, the version it replaced there is superseded."""

    def retire(records: dict[str, StageRecord]) -> dict[str, StageRecord] | None:
        record = records.get(stage)
        if record is None or record.deployment.get("endpoint_name") != endpoint_name:
            return None
        updated = supersede(record, by_version, now)
        return None if updated is None else {**records, stage: updated}

    update_version(store, group, previous, retire, event_id=event_id, actor=actor, action="superseded", now=now)
