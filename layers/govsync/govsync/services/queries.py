"""Reading the records as people ask for them (API and CLI): by filters, through the table's indexes
(never a Scan), in one order, a page at a time."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

from govsync.domain.audit import AuditEntry, ChainVerdict, record_hash, verify_states, verify_trail
from govsync.domain.errors import Refused
from govsync.domain.lineage_keys import LineageKey
from govsync.domain.records import StageRecord
from govsync.services.ports import Store


@dataclass(frozen=True, slots=True)
class RecordFilter:
    stage: str | None = None
    status: str | None = None
    group: str | None = None
    use_case: str | None = None
    risk: str | None = None  # case-insensitive
    account: str | None = None  # the source (registering) account

    def keeps(self, record: StageRecord) -> bool:
        return (
            (not self.group or record.model_group == self.group)
            and (not self.stage or record.model_stage == self.stage)
            and (not self.status or record.model_status == self.status)
            and (not self.use_case or record.use_case_id == self.use_case)
            and (not self.risk or (record.model_risk or "").lower() == self.risk.lower())
            and (not self.account or record.source_account == self.account)
        )


def order(stages: Sequence[str]) -> Any:
    """Records by group, version, then stage in chain order."""
    return lambda r: (r.model_group, r.model_version, stages.index(r.model_stage) if r.model_stage in stages else 99)


def find_records(store: Store, stages: Sequence[str], wanted: RecordFilter) -> list[StageRecord]:
    """The records `wanted` names, read through the index that narrows them most."""
    found: Iterable[StageRecord]
    reading = [wanted.stage] if wanted.stage else list(stages)
    if wanted.use_case:
        found = store.records_by_use_case(wanted.use_case)
    elif wanted.status:
        found = chain.from_iterable(store.records_by_stage_status(s, wanted.status, wanted.group) for s in reading)
    else:
        found = store.all_records(reading, wanted.group)
    return sorted((r for r in found if wanted.keeps(r)), key=order(stages))


def _cursor(record: StageRecord, stages: Sequence[str]) -> str:
    key = [record.model_group, record.model_version, order(stages)(record)[2]]
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def parse_cursor(text: str) -> tuple[str, int, int]:
    """A cursor as `_cursor` writes it: [group, version, stage index], nothing else (400 otherwise)."""
    refused = Refused(400, "next: not a cursor this API returned")
    if len(text) > 400:
        raise refused
    try:
        key = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (ValueError, binascii.Error):
        raise refused from None
    ints = key[1:] if isinstance(key, list) else []
    if (not isinstance(key, list) or len(key) != 3 or not isinstance(key[0], str)
            or not all(type(v) is int and 0 <= v < 10**10 for v in ints)):  # fmt: skip
        raise refused
    return key[0], key[1], key[2]


def page(
    records: list[StageRecord], stages: Sequence[str], limit: int, after: str | None
) -> tuple[list[StageRecord], str | None]:
    """Up to `limit` records after the cursor `after` (from an earlier page), and the next page's cursor."""
    if after:
        position = parse_cursor(after)
        records = [r for r in records if order(stages)(r) > position]
    chunk = records[:limit]
    return chunk, (_cursor(chunk[-1], stages) if len(records) > limit else None)


@dataclass(frozen=True, slots=True)
class Trail:
    """A version's audit entries up to the head read with them, and whether that chain verifies."""

    entries: list[AuditEntry]
    head_seq: int
    head_hash: str
    verdict: ChainVerdict
    exists: bool


def audit_trail(store: Store, group: str, version: int) -> Trail:
    """Everything the version's partition holds, against its head (`verify_trail`). The head is read
    first, then the items: an entry after the head may be a change committed in between (head and
    entry are one transaction), so the head is read again before an entry after it counts as broken."""
    for _ in range(3):
        state = store.load_version(group, version)
        stored = store.audit_items(group, version)
        if state.head is None or all(s.entry.seq <= state.audit_seq for s in stored):
            break
    head = (state.audit_seq, state.audit_head) if state.head is not None else None
    verdict = verify_trail(group, version, stored, head)
    entries = sorted((s.entry for s in stored if s.entry.seq <= state.audit_seq), key=lambda e: e.seq)
    if verdict.ok:  # the chain holds: the records must be the states it sealed
        current = {stage: record_hash(record) for stage, record in state.records.items()}
        verdict = verify_states(current, entries, verdict.checked)
    return Trail(entries, state.audit_seq, state.audit_head, verdict, state.head is not None or bool(stored))


@dataclass(frozen=True, slots=True)
class BuiltFrom:
    """A version built from what a lineage query names: its lineage and its records, stage by stage."""

    records: list[StageRecord]  # in chain order

    def to_json(self) -> dict[str, Any]:
        first = self.records[0]
        return {
            "model_group": first.model_group,
            "model_version": first.model_version,
            "model_package_arn": first.model_package_arn,
            "stages": {
                r.model_stage: {"model_status": r.model_status, "deployment_status": r.deployment_status}
                for r in self.records
            },
            "lineage": first.lineage.to_json() if first.lineage else {},
        }


def built_from(
    store: Store, key: LineageKey, stages: Sequence[str], stage: str | None = None, limit: int = 1000
) -> tuple[list[BuiltFrom], bool]:
    """Every version whose recorded lineage holds `key` (through the lineage index: an index entry whose
    version's lineage no longer holds the key is left out), with a record in `stage` when given; at most
    `limit` of them, and whether more were left out."""
    found: list[BuiltFrom] = []
    for group, version in dict.fromkeys(store.versions_built_from(key)):
        records = sorted(store.load_version(group, version).records.values(), key=order(stages))
        lineage = records[0].lineage if records else None
        in_stage = not stage or any(r.model_stage == stage for r in records)
        if lineage is None or key not in lineage.index_keys() or not in_stage:
            continue
        if len(found) == limit:
            return found, True
        found.append(BuiltFrom(records))
    return found, False
