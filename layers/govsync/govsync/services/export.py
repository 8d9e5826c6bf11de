"""The auditor's export: the records, the audit entries of a window and each version's chain proof."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from govsync.domain.errors import Refused
from govsync.domain.export import Chain, governance_view, in_window, to_csv
from govsync.domain.people import EXPORT, Person
from govsync.domain.records import StageRecord
from govsync.observability import logger
from govsync.services.ports import Store
from govsync.services.queries import audit_trail, order
from govsync.settings import StageChain


@dataclass
class Exporter:
    settings: StageChain
    store: Store
    clock: Callable[[], datetime]

    def _records(self, person: Person) -> tuple[list[StageRecord], dict[str, str]]:
        if (refusal := person.refusal(EXPORT)) is not None:
            raise Refused(403, refusal)
        records = sorted(self.store.all_records(self.settings.stages), key=order(self.settings.stages))
        use_cases = self.store.use_case_stages(r.use_case_id for r in records if r.use_case_id)
        return records, use_cases

    def csv(self, person: Person) -> str:
        """One row per stage record: the 15 attributes in the blog's order, then the operational fields."""
        records, use_cases = self._records(person)
        logger.info("export", format="csv", records=len(records), by=person.name)
        return to_csv(r.view(use_cases) for r in records)

    def pack(self, person: Person, start: str | None = None, end: str | None = None) -> dict[str, Any]:
        """Every record, every audit entry recorded in [start, end), each version's chain verification."""
        start, end = _instant(start, "from"), _instant(end, "to")
        if start and end and start >= end:
            raise Refused(400, f"from ({start}) must be before to ({end})")
        records, use_cases = self._records(person)
        entries: list[dict[str, Any]] = []
        chains: list[dict[str, Any]] = []
        for group, version in dict.fromkeys((r.model_group, r.model_version) for r in records):
            trail = audit_trail(self.store, group, version)
            chains.append(Chain(group, version, trail.head_seq, trail.head_hash, trail.verdict).to_json())
            entries.extend({**e.payload(), "hash": e.hash} for e in trail.entries if in_window(e, start, end))
        logger.info("export", format="json", records=len(records), entries=len(entries), by=person.name)
        return {
            "generated_at": self.clock().isoformat(),
            "generated_by": person.name,
            "window": {"from": start, "to": end},
            "records": [governance_view(r, use_cases) for r in records],
            "audit_entries": entries,
            "chains": chains,
            "verified": all(c["verified"] for c in chains),
        }


def _instant(value: str | None, name: str) -> str | None:
    """An ISO 8601 date or time (UTC when it names no zone) as the audit entries spell theirs."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise Refused(400, f"{name}: {value[:60]!r} is not an ISO 8601 date or time") from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
