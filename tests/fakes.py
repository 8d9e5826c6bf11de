"""An in-memory governance store for service tests with no sockets. It implements the services'
`Store` protocol (mypy checks that it does) with the same conditions as the DynamoDB adapter: a
version's write fails with ConcurrentChange when its head moved since it was read, or when the
registry change it applies is not newer than the one applied; a use case's when its transitions did."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import datetime

from govsync.domain.audit import AuditEntry, StoredEntry
from govsync.domain.errors import AuditChainBroken, ConcurrentChange
from govsync.domain.lineage_keys import LineageKey
from govsync.domain.monitoring import MetricsPoint
from govsync.domain.records import STATUSES, StageRecord
from govsync.domain.usecases import ModelTally, UseCase, counted, tally_changes, uncounted_left
from govsync.domain.version_state import Applied, VersionHead, VersionState
from govsync.services.ports import Store


class InMemoryStore:
    def __init__(self) -> None:
        self.heads: dict[tuple[str, int], VersionHead] = {}
        self.records: dict[tuple[str, int], dict[str, StageRecord]] = {}
        self.audit: dict[tuple[str, int], list[AuditEntry]] = {}
        self.cases: dict[str, UseCase] = {}
        self.points: dict[tuple[str, int, str, str], tuple[MetricsPoint, datetime]] = {}
        # (use case, group, stage) -> [records, approved], added to as the DynamoDB adapter does
        self.tallies: dict[tuple[str, str, str], list[int]] = {}
        self.uncounted: set[tuple[str, int, str]] = set()  # records "written before the tallies"
        self.commits = 0
        self.lineage_index: dict[tuple[str, int], set[LineageKey]] = {}  # only ever added to
        self.notified: dict[tuple[str, int], int] = {}  # as the table's V#NOTIFIED items
        self.on_commit: Callable[[VersionState, AuditEntry | None], None] | None = None
        # called after a version is read and before its write lands: lets a test play a concurrent writer
        self.before_commit: Callable[[VersionState], None] | None = None

    # ------------------------------------------------------------------ versions
    def load_version(self, group: str, version: int) -> VersionState:
        key = (group, version)
        records = dict(self.records.get(key, {}))
        legacy = {stage for stage in records if (group, version, stage) in self.uncounted}
        counts = {stage: counted(r) for stage, r in records.items() if stage not in legacy}
        return VersionState(group, version, self.heads.get(key), records, counts, legacy, self.notified.get(key))

    def commit(
        self, state: VersionState, records: Iterable[StageRecord], entry: AuditEntry | None, source_version: str | None
    ) -> None:
        if self.before_commit is not None:
            hook, self.before_commit = self.before_commit, None
            hook(state)
        key = (state.group, state.version)
        current = self.heads.get(key)
        if state.head is None and current is not None:
            raise ConcurrentChange(f"version {state.group}/{state.version} was created concurrently")
        if current is not None and current.audit_seq != state.audit_seq:
            raise ConcurrentChange(f"version {state.group}/{state.version} changed concurrently")
        if state.head is None and self.audit.get(key):  # as the table's store: never a head over a headless trail
            raise AuditChainBroken(f"{state.group} v{state.version}: audit items exist for a version with no head")
        applied = current.source_version if current else None
        if source_version is not None and applied is not None and not applied < source_version:
            raise ConcurrentChange(f"version {state.group}/{state.version}: change {source_version} is not newer")
        new_source = source_version if source_version is not None else state.source_version
        seq, head = (entry.seq, entry.hash) if entry else (state.audit_seq, state.audit_head)
        self.heads[key] = VersionHead(new_source, seq, head)
        records = list(records)
        self._add_tallies(tally_changes(state.group, state.counted, records))
        for record in uncounted_left(state, records):
            self.count_record(record)
        self.uncounted -= {(state.group, state.version, r.model_stage) for r in records}
        self.records.setdefault(key, {}).update({r.model_stage: r for r in records})
        if entry is not None:
            self.audit.setdefault(key, []).append(entry)
        indexed = self.lineage_index.setdefault(key, set())
        indexed.update(k for r in records if r.lineage for k in r.lineage.index_keys())
        if current is None:
            self.notified[key] = 0
        self.commits += 1
        if self.on_commit is not None:
            self.on_commit(state, entry)

    def mark_notified(self, group: str, version: int, seq: int) -> bool:
        if self.notified.get((group, version), -1) >= seq:
            return False
        self.notified[(group, version)] = seq
        return True

    def applied_versions(self, versions: Iterable[tuple[str, int]], first_stage: str) -> dict[tuple[str, int], Applied]:
        found = {}
        for key in versions:
            head = self.heads.get(key)
            if head and head.source_version and first_stage in self.records.get(key, {}):
                found[key] = Applied(head.source_version, (*key, first_stage) not in self.uncounted)
        return found

    def audit_entries(self, group: str, version: int) -> list[AuditEntry]:
        return list(self.audit.get((group, version), []))

    def audit_items(self, group: str, version: int, limit: int | None = None) -> list[StoredEntry]:
        return [StoredEntry(entry.seq, entry) for entry in self.audit_entries(group, version)][:limit]

    def _all(self) -> Iterator[StageRecord]:
        for key in sorted(self.records):
            yield from self.records[key].values()

    def records_by_stage_status(self, stage: str, status: str, group: str | None = None) -> Iterator[StageRecord]:
        for record in self._all():
            if (record.model_stage, record.model_status) == (stage, status) and group in (None, record.model_group):
                yield record

    def _add_tallies(self, changes: dict[tuple[str, str, str], tuple[int, int]]) -> None:
        for key, (records, approved) in changes.items():
            entry = self.tallies.setdefault(key, [0, 0])
            entry[0] += records
            entry[1] += approved

    def use_case_tallies(self, use_case_id: str) -> list[ModelTally]:
        return [ModelTally(g, s, n, ok) for (uc, g, s), (n, ok) in sorted(self.tallies.items()) if uc == use_case_id]

    def count_record(self, record: StageRecord) -> bool:
        key = (record.model_group, record.model_version, record.model_stage)
        if key not in self.uncounted:
            return False
        self.uncounted.discard(key)
        if (count := counted(record)) is not None:
            self._add_tallies({(count[0], record.model_group, record.model_stage): (1, int(count[1]))})
        return True

    def live_versions(self, stage: str) -> Iterator[tuple[str, int]]:
        from govsync.domain.deployment import DeployState

        for record in self._all():
            if record.model_stage == stage and record.deployment.status is DeployState.LIVE:
                yield record.model_group, record.model_version

    def versions_built_from(self, key: LineageKey) -> Iterator[tuple[str, int]]:
        """As the table's index: every version whose lineage ever held the key (never removed)."""
        yield from sorted(v for v, keys in self.lineage_index.items() if key in keys)

    def records_at(self, keys: Iterable[tuple[str, int, str]]) -> list[StageRecord]:
        return [self.records[(g, v)][s] for g, v, s in keys if s in self.records.get((g, v), {})]

    def records_by_use_case(self, use_case_id: str) -> Iterator[StageRecord]:
        return (r for r in self._all() if r.use_case_id == use_case_id)

    def group_records_in_stage(
        self, group: str, stage: str, statuses: Iterable[str], versions: range, *, newest_first: bool = False
    ) -> Iterator[StageRecord]:
        wanted = set(statuses)
        found = [
            r
            for r in self._all()
            if r.model_group == group
            and r.model_stage == stage
            and r.model_status in wanted
            and r.model_version in versions
        ]
        return iter(sorted(found, key=lambda r: r.model_version, reverse=newest_first))

    def all_records(self, stages: Iterable[str], group: str | None = None) -> Iterator[StageRecord]:
        for stage in stages:
            for status in STATUSES:
                yield from self.records_by_stage_status(stage, status, group)

    # ------------------------------------------------------------------ use cases
    def load_use_case(self, use_case_id: str) -> UseCase | None:
        return self.cases.get(use_case_id)

    def save_use_case(self, use_case: UseCase, expected_seq: int | None) -> None:
        current = self.cases.get(use_case.use_case_id)
        if (current is None) != (expected_seq is None) or (current is not None and current.seq != expected_seq):
            raise ConcurrentChange(f"use case {use_case.use_case_id} changed concurrently")
        self.cases[use_case.use_case_id] = replace(use_case, seq=len(use_case.history))

    def use_cases(self) -> Iterator[UseCase]:
        return iter(sorted(self.cases.values(), key=lambda u: u.use_case_id))

    def use_case_stages(self, use_case_ids: Iterable[str]) -> dict[str, str]:
        return {i: self.cases[i].stage for i in use_case_ids if i in self.cases}

    # ------------------------------------------------------------------ metrics history
    def save_metrics_point(self, point: MetricsPoint, expires_at: datetime) -> None:
        self.points[(point.group, point.version, point.stage, point.window_end)] = (point, expires_at)

    def metrics_history(self, group: str, version: int, stage: str, since: str | None = None) -> list[MetricsPoint]:
        return [point for key, (point, _) in sorted(self.points.items())
                if key[:3] == (group, version, stage) and key[3] >= (since or "")]  # fmt: skip


_conforms: Store = InMemoryStore()  # mypy: the fake is a Store
