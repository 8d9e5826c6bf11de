"""The append-only audit trail: one entry per observed change, hash-chained per model version."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

from govsync.domain.records import BOOKKEEPING

if TYPE_CHECKING:
    from govsync.domain.records import StageRecord

# what a change did to a version's records: stage -> field -> [before, after]
Changes = dict[str, dict[str, list[Any]]]

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class AuditEntry:
    model_group: str
    model_version: int
    seq: int
    event_id: str
    actor: str
    action: str
    changes: dict[str, dict[str, list[Any]]]
    source_time: str
    recorded_at: str
    prev_hash: str
    hash: str = ""
    # stage -> the hash of the record this change left (`record_hash`): the records are inside the chain
    states: dict[str, str] = field(default_factory=dict)

    def payload(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("hash")
        if not data["states"]:  # an entry written before records were hashed keeps its own hash
            data.pop("states")
        return data

    def compute_hash(self) -> str:
        canonical = json.dumps(self.payload(), sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()

    def sealed(self) -> AuditEntry:
        return replace(self, hash=self.compute_hash())


def new_entry(
    *,
    group: str,
    version: int,
    seq: int,
    prev_hash: str,
    event_id: str,
    actor: str,
    action: str,
    changes: dict[str, dict[str, list[Any]]],
    source_time: str,
    recorded_at: str,
    states: dict[str, str] | None = None,
) -> AuditEntry:
    return AuditEntry(
        model_group=group,
        model_version=version,
        seq=seq,
        event_id=event_id,
        actor=actor,
        action=action,
        changes=changes,
        source_time=source_time,
        recorded_at=recorded_at,
        prev_hash=prev_hash,
        states=dict(states or {}),
    ).sealed()


@dataclass(frozen=True, slots=True)
class ChainVerdict:
    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str = ""


def verify_chain(entries: Iterable[AuditEntry], head_seq: int, head_hash: str) -> ChainVerdict:
    """Check that entries 1..head_seq are all there, in order, unedited, and end at the head.

    Catches an edited entry (its hash no longer matches), a deleted or reordered one (sequence gap or
    prev_hash mismatch) and a deleted last entry (the head names a later one).
    """
    expected_prev = GENESIS
    count = 0
    for count, entry in enumerate(sorted(entries, key=lambda e: e.seq), start=1):
        if entry.seq != count:
            return ChainVerdict(False, count - 1, count, f"entry {count} is missing (found {entry.seq} next)")
        if entry.compute_hash() != entry.hash:
            return ChainVerdict(False, count - 1, entry.seq, f"entry {entry.seq} was edited (hash mismatch)")
        if entry.prev_hash != expected_prev:
            return ChainVerdict(False, count - 1, entry.seq, f"entry {entry.seq} does not follow entry {count - 1}")
        expected_prev = entry.hash
    if count != head_seq:
        return ChainVerdict(False, count, count + 1, f"entry {count + 1} is missing (head is at {head_seq})")
    if head_seq and expected_prev != head_hash:
        return ChainVerdict(False, count, count, f"entry {count} does not match the chain head")
    return ChainVerdict(True, count)


@dataclass(frozen=True, slots=True)
class StoredEntry:
    """An audit entry as the table keeps it: the seq its key names beside what the entry says."""

    key_seq: int
    entry: AuditEntry


def verify_trail(group: str, version: int, stored: Iterable[StoredEntry], head: tuple[int, str] | None) -> ChainVerdict:
    """Everything the version's partition holds, against its head: no entry without a head, none after
    it, none kept under another seq's key or naming another version (a chain copied from elsewhere),
    and entries 1..head forming the chain (`verify_chain`). The first problem found is named."""
    stored = sorted(stored, key=lambda s: (s.key_seq, s.entry.seq))  # the table's order
    if head is None:
        if stored:
            first = stored[0].entry.seq
            return ChainVerdict(False, 0, first, f"audit items exist ({len(stored)}) for a version with no head")
        return ChainVerdict(True, 0)
    head_seq, head_hash = head
    for item in stored:
        entry = item.entry
        if item.key_seq != entry.seq:
            return ChainVerdict(
                False, 0, item.key_seq, f"the entry kept as entry {item.key_seq} says it is {entry.seq}"
            )
        if (entry.model_group, entry.model_version) != (group, version):
            where = f"{entry.model_group} v{entry.model_version}"
            return ChainVerdict(False, 0, entry.seq, f"entry {entry.seq} belongs to {where}, not this version")
    after = [item.entry.seq for item in stored if item.entry.seq > head_seq]
    if after:
        return ChainVerdict(
            False, 0, after[0], f"entry {after[0]} is after the chain head (entry {head_seq}): written behind the "
            "chain's back, or the head was moved back"
        )  # fmt: skip
    return verify_chain([item.entry for item in stored], head_seq, head_hash)


def verify_states(current: dict[str, str], entries: Iterable[AuditEntry], checked: int) -> ChainVerdict:
    """Each stage record as it is now (`current`: stage -> `record_hash`) against the state the chain
    last recorded for it: a record edited, or deleted, behind the chain's back is named. A stage no
    entry recorded a state for (a trail older than record hashes) is not judged."""
    last: dict[str, tuple[int, str]] = {}
    for entry in sorted(entries, key=lambda e: e.seq):
        for stage, digest in entry.states.items():
            last[stage] = (entry.seq, digest)
    for stage, (seq, digest) in sorted(last.items()):
        if stage not in current:
            return ChainVerdict(False, checked, seq, f"the {stage} record is gone (entry {seq} recorded it)")
        if current[stage] != digest:
            return ChainVerdict(
                False, checked, seq, f"the {stage} record differs from the state entry {seq} recorded: "
                "changed behind the chain's back"
            )  # fmt: skip
    return ChainVerdict(True, checked)


# record fields added after records were first sealed, and their empty value
ADDED_EMPTY: dict[str, Any] = {
    "lineage": {},
    "lineage_missing": [],
    "review": {},
    "approval_reminder": {},
    "retirement": {},
}


def record_hash(record: StageRecord) -> str:
    """The record's state as its audit entry seals it: every field but the bookkeeping ones (which
    follow the registry without an entry), in canonical JSON, SHA-256."""
    state = {name: value for name, value in record.to_json().items() if name not in BOOKKEEPING}
    for name, empty in ADDED_EMPTY.items():  # a field added since: absent from the states sealed before it
        if state.get(name) == empty:
            del state[name]
    canonical = json.dumps(state, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()
