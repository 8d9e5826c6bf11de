"""Anchors: Merkle roots and proofs, the anchor chain, the table held against an anchor, the offline pack
check, and the anchoring service over an in-memory table and bucket."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace

import pytest

from govsync.domain.anchors import (
    EMPTY_ROOT,
    Anchor,
    Leaf,
    compare_with_table,
    leaves_body,
    merkle_levels,
    merkle_proof,
    merkle_root,
    new_anchor,
    root_from_proof,
    verify_anchor_chain,
    verify_leaves,
)
from govsync.domain.pack_check import check_pack
from govsync.services.anchoring import Anchoring
from govsync.services.export import Proofs

from .test_audit import chain


def leaves(n: int) -> list[Leaf]:
    return [Leaf("g", v, v % 5 + 1, hashlib.sha256(str(v).encode()).hexdigest()) for v in range(1, n + 1)]


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 13, 100])
def test_every_leaf_s_proof_leads_to_the_root_and_no_other_leaf_s_does(n):
    sealed = leaves(n)
    levels = merkle_levels([leaf.digest() for leaf in sealed])
    root = merkle_root(levels)
    for i, leaf in enumerate(sealed):
        path = merkle_proof(levels, i)
        assert root_from_proof(leaf.digest(), path) == root
        assert root_from_proof(replace(leaf, seq=leaf.seq + 1).digest(), path) != root
    assert merkle_root(merkle_levels([])) == EMPTY_ROOT


def test_a_leaf_cannot_pass_for_a_node():
    # a node's bytes offered as a leaf do not give the root (leaves and nodes are hashed apart)
    sealed = leaves(2)
    levels = merkle_levels([leaf.digest() for leaf in sealed])
    assert levels[1][0] != hashlib.sha256(bytes.fromhex(levels[0][0]) + bytes.fromhex(levels[0][1])).hexdigest()


def anchors(n: int) -> list[Anchor]:
    made, previous = [], None
    for seq in range(1, n + 1):
        previous = new_anchor(previous, leaves(seq), f"2026-12-0{seq}T04:15:00+00:00", [])
        made.append(previous)
    return made


def test_the_anchor_chain_names_a_missing_altered_or_unlinked_anchor():
    made = anchors(4)
    assert verify_anchor_chain(made) == []
    assert verify_anchor_chain([made[0], made[2], made[3]])[0] == "anchor 2 is missing (found anchor 3 next)"
    altered = [*made[:2], replace(made[2], versions=99), made[3]]
    assert "anchor 3 was altered (its hash does not match its contents)" in verify_anchor_chain(altered)
    relinked = replace(made[2], prev_hash="0" * 64)
    relinked = replace(relinked, hash=relinked.compute_hash())
    assert "anchor 3 does not follow anchor 2" in verify_anchor_chain([*made[:2], relinked, made[3]])


def test_an_anchor_s_leaves_must_give_its_digest_and_root():
    sealed = leaves(6)
    anchor = new_anchor(None, sealed, "2026-12-06T04:15:00+00:00", [])
    assert verify_leaves(anchor, sealed) == []
    assert anchor.leaves_sha256 == hashlib.sha256(leaves_body(sorted(sealed))).hexdigest()
    problems = verify_leaves(anchor, sealed[:-1])
    assert problems == [
        "anchor 1's leaves differ from what it sealed (SHA-256)",
        "anchor 1's leaves do not give its root",
    ]


def test_the_table_against_an_anchor_names_each_difference():
    sealed = [Leaf("g", 1, 3, "a" * 64), Leaf("g", 2, 2, "b" * 64), Leaf("g", 3, 4, "c" * 64),
              Leaf("g", 4, 1, "d" * 64), Leaf("g", 5, 2, "e" * 64), Leaf("g", 6, 2, "f" * 64)]  # fmt: skip
    heads = {
        ("g", 1): Leaf("g", 1, 3, "a" * 64),  # unchanged
        ("g", 2): Leaf("g", 2, 2, "9" * 64),  # same length, another head: rewritten
        ("g", 3): Leaf("g", 3, 2, "8" * 64),  # moved back
        # g v4 gone
        ("g", 5): Leaf("g", 5, 5, "7" * 64),  # moved on, its sealed entry intact
        ("g", 6): Leaf("g", 6, 6, "6" * 64),  # moved on over a rewritten entry
    }
    asked = []

    def entry_hash(moved):
        asked.extend(leaf.key for leaf in moved)
        return {("g", 5): "e" * 64, ("g", 6): "5" * 64}

    found = compare_with_table(7, sealed, heads, entry_hash)
    assert asked == [("g", 5), ("g", 6)]  # only versions whose head moved on are read by key
    assert found == [
        "g v2: entry 2 is not the entry anchor 7 sealed (the chain was rewritten)",
        "g v3: the head is at entry 2, before entry 4 that anchor 7 sealed",
        "g v4: anchor 7 sealed 1 entries; the table has no head for it",
        "g v6: entry 2 is not the entry anchor 7 sealed (the chain was rewritten)",
    ]


# ------------------------------------------------------------------ the service, in memory
@dataclass
class Stored:
    seq: int
    version_ids: list[str] = field(default_factory=lambda: ["v1"])
    deleted: bool = False


@dataclass
class MemoryBucket:
    written: list[tuple[Anchor, list[Leaf]]] = field(default_factory=list)
    extra: dict[int, Stored] = field(default_factory=dict)

    def anchors(self):
        stored = {a.seq: Stored(a.seq) for a, _ in self.written} | self.extra
        return [a for a, _ in self.written], stored

    def leaves(self, seq):
        return next((list(sealed) for a, sealed in self.written if a.seq == seq), None)

    def latest(self):
        return self.written[-1] if self.written else None

    def write(self, anchor, body):
        import json

        self.written.append((anchor, [Leaf.from_json(item) for item in json.loads(body)]))
        return f"s3://anchors/{anchor.seq}"


@dataclass
class MemoryTrails:
    heads: dict[tuple[str, int], Leaf]
    entries: dict[tuple[str, int, int], str] = field(default_factory=dict)
    unlisted: set[tuple[str, int]] = field(default_factory=set)

    def trail_heads(self):
        return iter(sorted((v for k, v in self.heads.items() if k not in self.unlisted), key=lambda leaf: leaf.key))

    def trail_starts(self):
        return iter(sorted(self.heads))

    def heads_at(self, versions):
        return {k: self.heads[k] for k in versions if k in self.heads}

    def entry_hashes(self, sealed):
        return {leaf.key: self.entries.get((*leaf.key, leaf.seq)) for leaf in sealed}


def test_anchoring_seals_the_heads_and_the_next_run_records_what_changed_behind_the_chains_back():
    trails = MemoryTrails({("g", 1): Leaf("g", 1, 2, "a" * 64), ("g", 2): Leaf("g", 2, 1, "b" * 64)})
    bucket = MemoryBucket()
    service = Anchoring(trails, bucket)
    first = service.anchor()
    assert (first["seq"], first["versions"], first["entries"], first["findings"]) == (1, 2, 3, [])
    assert service.check().ok
    # someone deletes v2's trail and rewrites v1's with the same length
    del trails.heads[("g", 2)]
    trails.heads[("g", 1)] = Leaf("g", 1, 2, "c" * 64)
    check = service.check()
    assert not check.ok and check.problems == [
        "g v1: entry 2 is not the entry anchor 1 sealed (the chain was rewritten)",
        "g v2: anchor 1 sealed 1 entries; the table has no head for it",
    ]
    second = service.anchor()
    assert second["seq"] == 2 and second["findings"] == check.problems and second["prev_hash"] == first["hash"]
    # the findings stay in anchor 2 although anchor 2 sealed the table as it now is
    after = service.check()
    assert after.problems == [] and not after.ok
    assert after.recorded[0].startswith("anchor 2 (") and "rewritten" in after.recorded[0]


def test_a_head_taken_out_of_the_listing_is_still_held_against_the_anchor_and_named():
    trails = MemoryTrails({("g", 1): Leaf("g", 1, 2, "a" * 64)})
    service = Anchoring(trails, MemoryBucket())
    service.anchor()
    trails.unlisted.add(("g", 1))
    assert service.check().problems == ["g v1: its head is not in the trail listing (its listing was removed)"]


def test_a_rewritten_or_deleted_anchor_object_is_named():
    trails = MemoryTrails({("g", 1): Leaf("g", 1, 2, "a" * 64)})
    bucket = MemoryBucket()
    service = Anchoring(trails, bucket)
    service.anchor()
    bucket.extra = {1: Stored(1, ["v1", "v2"], deleted=True)}
    assert service.check().problems == [
        "anchor 1 was written again (2 versions; its first is read)",
        "anchor 1 has a delete marker over it (someone deleted it; its locked version is read)",
    ]


# ------------------------------------------------------------------ the pack, offline
def pack_of(entries, anchor_leaves=None):
    head = entries[-1]
    sealed = anchor_leaves or [Leaf("g", 1, head.seq, head.hash), Leaf("g", 2, 1, "b" * 64)]
    anchor = new_anchor(None, sealed, "2026-12-06T04:15:00+00:00", [])
    chain_json = {"model_group": "g", "model_version": 1, "head_seq": head.seq, "head_hash": head.hash,
                  "verified": True, "reason": ""}  # fmt: skip
    proof = Proofs(anchor, sealed).of("g", 1)
    return {"audit_entries": [{**e.payload(), "hash": e.hash} for e in entries],
            "chains": [{**chain_json, "anchor_proof": proof}], "anchor": anchor.to_json()}  # fmt: skip


def test_an_honest_pack_holds_and_each_edit_is_named():
    entries = chain(3)
    pack = pack_of(entries)
    assert check_pack(pack) == ([], {"entries": 3, "chains": 1, "proofs": 1})
    edits = {
        "an entry's actor": (lambda p: p["audit_entries"][1].update(actor="mallory"), "g v1 entry 2 was edited"),
        "the anchor's root": (lambda p: p["anchor"].update(root="0" * 64), "anchor 1 in the pack was altered"),
        "a proof step": (lambda p: p["chains"][0]["anchor_proof"]["path"][0].__setitem__(0, "0" * 64),
                         "g v1: its proof does not lead to anchor 1's root"),
        "the chain head": (lambda p: p["chains"][0].update(head_hash="0" * 64),
                           "g v1: entry 3 is not the chain head the pack names"),
        "an entry dropped": (lambda p: p["audit_entries"].pop(1), "g v1 entry 2 is missing from the pack"),
        "the verdict": (lambda p: p["chains"][0].update(verified=False, reason="x"), "says its chain is broken"),
    }  # fmt: skip
    for what, (edit, said) in edits.items():
        edited = pack_of(entries)
        edit(edited)
        problems, _ = check_pack(edited)
        assert any(said in problem for problem in problems), (what, problems)


def test_a_chain_rewritten_after_its_anchor_fails_the_pack():
    entries = chain(3)
    sealed = [Leaf("g", 1, 3, entries[-1].hash), Leaf("g", 2, 1, "b" * 64)]
    rewritten = chain(3)
    rewritten[2] = replace(rewritten[2], actor="mallory").sealed()  # a consistent rewrite: every hash recomputed
    problems, _ = check_pack(pack_of(rewritten, sealed))
    assert "g v1: entry 3 is not the entry anchor 1 sealed" in problems
    assert check_pack({"records": []})[0] == ["not an auditor's pack (no chains)"]
