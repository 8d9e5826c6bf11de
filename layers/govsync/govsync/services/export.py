"""The auditor's export: the records, the audit entries of a window and each version's chain proof."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from govsync.domain.anchors import Anchor, Leaf, merkle_levels, merkle_proof, version_against_anchor
from govsync.domain.errors import Refused
from govsync.domain.export import Chain, governance_view, in_window, to_csv
from govsync.domain.people import EXPORT, Person
from govsync.domain.records import StageRecord
from govsync.observability import logger
from govsync.services.ports import Store
from govsync.services.queries import audit_trail, order
from govsync.settings import StageChain


class LatestAnchor(Protocol):
    def latest(self) -> tuple[Anchor, list[Leaf]] | None:
        """The latest anchor and the leaves it sealed (None: no anchor yet)."""
        ...


@dataclass
class Exporter:
    settings: StageChain
    store: Store
    clock: Callable[[], datetime]
    anchors: LatestAnchor | None = None

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
        latest = self.anchors.latest() if self.anchors is not None else None
        proofs = Proofs(*latest) if latest else None
        for group, version in dict.fromkeys((r.model_group, r.model_version) for r in records):
            trail = audit_trail(self.store, group, version)
            chain = Chain(group, version, trail.head_seq, trail.head_hash, trail.verdict).to_json()
            if proofs is not None and (proof := proofs.of(group, version)) is not None:
                chain["anchor_proof"] = proof
                sealed = proof["leaf"][2]  # the entry the anchor sealed: in the pack, so the proof meets the chain
                entries.extend({**e.payload(), "hash": e.hash} for e in trail.entries
                               if e.seq == sealed and not in_window(e, start, end))  # fmt: skip
            chains.append(chain)
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
            # the latest anchor's summary: each chain's anchor_proof leads from its head to this root
            "anchor": latest[0].to_json() if latest else None,
        }


class Proofs:
    """Merkle proofs from each version's sealed head to an anchor's root (the tree built once)."""

    def __init__(self, anchor: Anchor, leaves: list[Leaf]) -> None:
        self.anchor = anchor
        self.leaves = sorted(leaves, key=lambda leaf: leaf.key)
        self.index = {leaf.key: i for i, leaf in enumerate(self.leaves)}
        self.levels = merkle_levels([leaf.digest() for leaf in self.leaves])

    def of(self, group: str, version: int) -> dict[str, Any] | None:
        i = self.index.get((group, version))
        if i is None:
            return None
        path = [[sibling, side] for sibling, side in merkle_proof(self.levels, i)]
        return {"anchor": self.anchor.seq, "leaf": self.leaves[i].to_json(), "path": path}


def against_latest_anchor(anchors: LatestAnchor | None, group: str, version: int, entries: list[Any]) -> Any:
    """The version's chain against the latest anchor (None: the stack keeps no anchors)."""
    latest = anchors.latest() if anchors is not None else None
    if latest is None:
        return None if anchors is None else {"anchor": None, "sealed": False, "ok": True, "reason": "no anchor yet"}
    return version_against_anchor(*latest, group, version, {e.seq: e.hash for e in entries})


def _instant(value: str | None, name: str) -> str | None:
    """An ISO 8601 date or time (UTC when it names no zone) as the audit entries spell theirs."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise Refused(400, f"{name}: {value[:60]!r} is not an ISO 8601 date or time") from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
