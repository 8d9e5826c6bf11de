"""Anchoring the audit chains outside the table, and checking the table against the anchors.

`check` reads the anchors as first written, names any anchor rewritten, deleted, missing or altered,
and holds the table's chain heads against the latest anchor's leaves (`domain.anchors.compare_with_table`).
`anchor` does the check, then seals every chain head now into the next anchor, with what the check
found: a change made behind the chains' back between two anchors is recorded in the later one, where
no role can remove it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from govsync.domain.anchors import (
    Anchor,
    Leaf,
    compare_with_table,
    leaves_body,
    new_anchor,
    sorted_leaves,
    verify_anchor_chain,
    verify_leaves,
)
from govsync.observability import logger
from govsync.services.ports import utc_now


class Trails(Protocol):
    """The governance table's audit trails as a whole."""

    def trail_heads(self) -> Iterator[Leaf]: ...
    def trail_starts(self) -> Iterator[tuple[str, int]]: ...
    def heads_at(self, versions: Iterable[tuple[str, int]]) -> dict[tuple[str, int], Leaf]: ...
    def entry_hashes(self, sealed: Iterable[Leaf]) -> dict[tuple[str, int], str | None]: ...


class StoredAnchorView(Protocol):
    seq: int
    version_ids: list[str]
    deleted: bool


class AnchorStore(Protocol):
    """Where anchors are kept (the Object Lock bucket)."""

    def anchors(self) -> tuple[list[Anchor], Any]: ...
    def leaves(self, seq: int) -> list[Leaf] | None: ...
    def write(self, anchor: Anchor, leaves_body: bytes) -> str: ...


class AnchorCopy(Protocol):
    def write(self, anchor: Anchor, location: str) -> None: ...


@dataclass
class AnchorCheck:
    """What holding the table against the anchors found."""

    anchors: int
    latest: Anchor | None
    heads: dict[tuple[str, int], Leaf]
    problems: list[str] = field(default_factory=list)
    recorded: list[str] = field(default_factory=list)  # what earlier anchors found, kept in them

    @property
    def ok(self) -> bool:
        return not self.problems and not self.recorded

    def to_json(self) -> dict[str, Any]:
        latest = self.latest
        return {
            "ok": self.ok,
            "anchors": self.anchors,
            "latest": latest.to_json() if latest else None,
            "versions": len(self.heads),
            "unanchored": len(self.heads) - (latest.versions if latest else 0),
            "problems": self.problems,
            "recorded": self.recorded,
        }


def bucket_problems(stored: dict[int, StoredAnchorView]) -> list[str]:
    problems = []
    for seq, item in sorted(stored.items()):
        if len(item.version_ids) > 1:
            problems.append(f"anchor {seq} was written again ({len(item.version_ids)} versions; its first is read)")
        if item.deleted:
            problems.append(
                f"anchor {seq} has a delete marker over it (someone deleted it; its locked version is read)"
            )
        if not item.version_ids:
            problems.append(f"anchor {seq} is gone (only a delete marker is left)")
    return problems


@dataclass
class Anchoring:
    trails: Trails
    bucket: AnchorStore
    copy: AnchorCopy | None = None
    clock: Callable[[], datetime] = utc_now

    def check(self) -> AnchorCheck:
        anchors, stored = self.bucket.anchors()
        heads = {leaf.key: leaf for leaf in self.trails.trail_heads()}
        latest = anchors[-1] if anchors else None
        check = AnchorCheck(len(anchors), latest, heads)
        check.problems += bucket_problems(stored) + verify_anchor_chain(anchors)
        check.recorded += [f"anchor {a.seq} ({a.created_at}): {finding}" for a in anchors for finding in a.findings]
        if latest is None:
            return check
        leaves = self.bucket.leaves(latest.seq)
        if leaves is None:
            check.problems.append(f"anchor {latest.seq}'s leaves are gone")
            return check
        check.problems += verify_leaves(latest, leaves)
        unlisted = self.trails.heads_at(leaf.key for leaf in leaves if leaf.key not in heads)
        check.problems += [f"{g} v{v}: its head is not in the trail listing (its listing was removed)"
                           for g, v in sorted(unlisted)]  # fmt: skip
        heads.update(unlisted)
        check.problems += compare_with_table(latest.seq, leaves, heads, self.trails.entry_hashes)
        return check

    def anchor(self) -> dict[str, Any]:
        """Check, then write the next anchor over every chain head now; answers what was written."""
        check = self.check()
        leaves = sorted_leaves(check.heads.values())
        anchor = new_anchor(check.latest, leaves, self.clock().isoformat(), check.problems)
        location = self.bucket.write(anchor, leaves_body(leaves))
        if self.copy is not None:
            self.copy.write(anchor, location)
        summary = {**anchor.to_json(), "location": location}
        (logger.warning if anchor.findings else logger.info)("anchored", **summary)
        return summary
