"""Anchors: the audit chains' heads sealed outside the table.

An anchor is a Merkle root over every version's chain head (a leaf: group, version, the head's entry
count and hash), chained to the anchor before it. Anchors are written where no role of the stack can
change them (an S3 bucket with Object Lock in compliance mode): rewriting a chain in the table, even
with every hash recomputed, no longer matches the head an anchor sealed, and a version deleted from the
table is still named by the anchors.

The tree: leaves sorted by (group, version), each hashed as SHA-256(0x00 || canonical leaf); a level's
nodes paired left to right, each pair hashed as SHA-256(0x01 || left || right), an odd last node
carried up unchanged (the domain-separation of RFC 6962, so a leaf can never pass for a node).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from govsync.domain.audit import GENESIS

EMPTY_ROOT = hashlib.sha256(b"").hexdigest()  # the root of no leaves


@dataclass(frozen=True, slots=True, order=True)
class Leaf:
    """One version's chain head as an anchor seals it."""

    model_group: str
    model_version: int
    seq: int  # the head's entry count
    head: str  # the hash of the chain's last entry

    @property
    def key(self) -> tuple[str, int]:
        return self.model_group, self.model_version

    def digest(self) -> str:
        canonical = json.dumps([self.model_group, self.model_version, self.seq, self.head], separators=(",", ":"))
        return hashlib.sha256(b"\x00" + canonical.encode()).hexdigest()

    def to_json(self) -> list[Any]:
        return [self.model_group, self.model_version, self.seq, self.head]

    @classmethod
    def from_json(cls, data: list[Any]) -> Leaf:
        group, version, seq, head = data
        return cls(str(group), int(version), int(seq), str(head))


def _node(left: str, right: str) -> str:
    return hashlib.sha256(b"\x01" + bytes.fromhex(left) + bytes.fromhex(right)).hexdigest()


def merkle_levels(digests: list[str]) -> list[list[str]]:
    """Every level of the tree, the leaves' digests first and the root's level last."""
    levels = [digests]
    while len(levels[-1]) > 1:
        below = levels[-1]
        above = [_node(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)]
        if len(below) % 2:
            above.append(below[-1])
        levels.append(above)
    return levels


def merkle_root(levels: list[list[str]]) -> str:
    return levels[-1][0] if levels[-1] else EMPTY_ROOT


# a proof step: the sibling's digest and the side it is on ("left" or "right")
Step = tuple[str, str]


def merkle_proof(levels: list[list[str]], index: int) -> list[Step]:
    """The siblings from the leaf at `index` up to the root."""
    path: list[Step] = []
    for level in levels[:-1]:
        sibling = index ^ 1
        if sibling < len(level):
            path.append((level[sibling], "left" if sibling < index else "right"))
        index //= 2
    return path


def root_from_proof(digest: str, path: Iterable[Step]) -> str:
    for sibling, side in path:
        digest = _node(sibling, digest) if side == "left" else _node(digest, sibling)
    return digest


def sorted_leaves(leaves: Iterable[Leaf]) -> list[Leaf]:
    return sorted(leaves, key=lambda leaf: leaf.key)


def leaves_digest(leaves: list[Leaf]) -> str:
    """The SHA-256 of the leaves as the anchor's leaves file holds them (`leaves_body`)."""
    return hashlib.sha256(leaves_body(leaves)).hexdigest()


def leaves_body(leaves: list[Leaf]) -> bytes:
    return json.dumps([leaf.to_json() for leaf in leaves], separators=(",", ":")).encode()


@dataclass(frozen=True, slots=True)
class Anchor:
    """An anchor's summary: what it sealed (the root of `versions` leaves), chained to the previous one.
    `findings` are what writing it found changed in the table since the previous anchor."""

    seq: int
    created_at: str
    versions: int
    entries: int  # the sum of the leaves' entry counts
    root: str
    leaves_sha256: str
    prev_hash: str
    findings: list[str] = field(default_factory=list)
    hash: str = ""

    def payload(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("hash")
        return data

    def compute_hash(self) -> str:
        canonical = json.dumps(self.payload(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def to_json(self) -> dict[str, Any]:
        return {**self.payload(), "hash": self.hash}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Anchor:
        return cls(
            seq=int(data["seq"]), created_at=str(data["created_at"]), versions=int(data["versions"]),
            entries=int(data["entries"]), root=str(data["root"]), leaves_sha256=str(data["leaves_sha256"]),
            prev_hash=str(data["prev_hash"]), findings=[str(f) for f in data.get("findings", [])],
            hash=str(data.get("hash", "")),
        )  # fmt: skip


def new_anchor(previous: Anchor | None, leaves: list[Leaf], created_at: str, findings: list[str]) -> Anchor:
    leaves = sorted_leaves(leaves)
    anchor = Anchor(
        seq=previous.seq + 1 if previous else 1,
        created_at=created_at,
        versions=len(leaves),
        entries=sum(leaf.seq for leaf in leaves),
        root=merkle_root(merkle_levels([leaf.digest() for leaf in leaves])),
        leaves_sha256=leaves_digest(leaves),
        prev_hash=previous.hash if previous else GENESIS,
        findings=list(findings),
    )
    return replace(anchor, hash=anchor.compute_hash())


def verify_anchor_chain(anchors: list[Anchor]) -> list[str]:
    """Anchors 1..n, each unedited and following the one before: what is wrong, in words."""
    problems: list[str] = []
    previous: Anchor | None = None
    for expected, anchor in enumerate(sorted(anchors, key=lambda a: a.seq), start=1):
        if anchor.seq != expected:
            problems.append(f"anchor {expected} is missing (found anchor {anchor.seq} next)")
        if anchor.compute_hash() != anchor.hash:
            problems.append(f"anchor {anchor.seq} was altered (its hash does not match its contents)")
        if previous is not None and anchor.prev_hash != previous.hash:
            problems.append(f"anchor {anchor.seq} does not follow anchor {previous.seq}")
        previous = anchor
    return problems


def verify_leaves(anchor: Anchor, leaves: list[Leaf]) -> list[str]:
    """The anchor's leaves file against its summary: the digest and the root both hold."""
    problems = []
    if leaves_digest(sorted_leaves(leaves)) != anchor.leaves_sha256:
        problems.append(f"anchor {anchor.seq}'s leaves differ from what it sealed (SHA-256)")
    if merkle_root(merkle_levels([leaf.digest() for leaf in sorted_leaves(leaves)])) != anchor.root:
        problems.append(f"anchor {anchor.seq}'s leaves do not give its root")
    return problems


def version_against_anchor(
    anchor: Anchor, leaves: list[Leaf], group: str, version: int, entries: dict[int, str]
) -> dict[str, Any]:
    """One version's chain (`entries`: seq -> hash, as the table holds them) against an anchor: whether
    the anchor sealed it, and whether the entry it sealed is still the one in the table."""
    leaf = next((leaf for leaf in leaves if leaf.key == (group, version)), None)
    found: dict[str, Any] = {"anchor": anchor.seq, "anchored_at": anchor.created_at, "sealed": leaf is not None}
    if leaf is None:
        return {**found, "ok": True, "reason": f"not sealed by anchor {anchor.seq}: its trail began after it"}
    problem = sealed_entry_problem(leaf, anchor.seq, entries.get(leaf.seq))
    return {**found, "sealed_seq": leaf.seq, "ok": problem is None, "reason": problem or ""}


def sealed_entry_problem(leaf: Leaf, anchor_seq: int, digest: str | None) -> str | None:
    """What is wrong with the table's hash (`digest`; None: no such entry) of the entry `leaf` sealed."""
    if digest == leaf.head:
        return None
    if digest is None:
        return f"entry {leaf.seq} that anchor {anchor_seq} sealed is gone"
    return f"entry {leaf.seq} is not the entry anchor {anchor_seq} sealed (the chain was rewritten)"


def compare_with_table(
    anchor_seq: int,
    anchored: Iterable[Leaf],
    heads: Mapping[tuple[str, int], Leaf],
    entry_hash: Callable[[list[Leaf]], Mapping[tuple[str, int], str | None]],
) -> list[str]:
    """The table's chain heads now (`heads`) against an anchor's leaves: a version the anchor sealed that
    the table no longer has, a head moved back before the sealed entry, or a chain whose entry at the
    sealed seq is not the sealed hash (a rewrite, even with every hash recomputed). `entry_hash` answers
    the table's hash of each leaf's sealed entry (None when the entry is gone), read only for versions
    whose head moved on since."""
    findings: list[str] = []
    moved: list[Leaf] = []
    for leaf in anchored:
        name = f"{leaf.model_group} v{leaf.model_version}"
        now = heads.get(leaf.key)
        if now is None:
            findings.append(f"{name}: anchor {anchor_seq} sealed {leaf.seq} entries; the table has no head for it")
        elif now.seq < leaf.seq:
            findings.append(f"{name}: the head is at entry {now.seq}, before entry {leaf.seq} that anchor "
                            f"{anchor_seq} sealed")  # fmt: skip
        elif now.seq == leaf.seq:
            if problem := sealed_entry_problem(leaf, anchor_seq, now.head):
                findings.append(f"{name}: {problem}")
        else:
            moved.append(leaf)
    if moved:
        found = entry_hash(moved)
        for leaf in moved:
            if problem := sealed_entry_problem(leaf, anchor_seq, found.get(leaf.key)):
                findings.append(f"{leaf.model_group} v{leaf.model_version}: {problem}")
    return findings
