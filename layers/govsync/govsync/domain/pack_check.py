"""The auditor's pack checked on its own, with no access to AWS: every entry's hash, the entries of each
version linked to each other and to the chain head the pack names, and each head's Merkle proof up to
the anchor the pack carries (whose summary hash is recomputed too). What the pack cannot show (entries
outside its window) is not judged; what it shows must all hold."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from govsync.domain.anchors import Anchor, Leaf, root_from_proof
from govsync.domain.audit import GENESIS, AuditEntry
from govsync.domain.export import in_window


def check_pack(pack: Any) -> tuple[list[str], dict[str, int]]:
    """What is wrong with the pack, in words (nothing: it holds), and what was checked."""
    if not isinstance(pack, dict) or not isinstance(pack.get("chains"), list):
        return ["not an auditor's pack (no chains)"], {}
    problems: list[str] = []
    by_version: dict[tuple[str, int], dict[int, AuditEntry]] = defaultdict(dict)
    for raw in pack.get("audit_entries") or []:
        try:
            entry = AuditEntry(**raw)
        except TypeError as exc:
            problems.append(f"an audit entry is not one govsync writes ({exc})")
            continue
        name = f"{entry.model_group} v{entry.model_version} entry {entry.seq}"
        if entry.compute_hash() != entry.hash:
            problems.append(f"{name} was edited (hash mismatch)")
        by_version[(entry.model_group, entry.model_version)][entry.seq] = entry
    window = pack.get("window") or {}
    for (group, version), entries in sorted(by_version.items()):
        for seq, entry in sorted(entries.items()):
            before = entries.get(seq - 1)
            expected = GENESIS if seq == 1 else before.hash if before else None
            if expected is not None and entry.prev_hash != expected:
                problems.append(f"{group} v{version} entry {seq} does not follow entry {seq - 1}")
        # the window's entries are one run of the chain: a gap in it is an entry left out
        shown = sorted(seq for seq, e in entries.items() if in_window(e, window.get("from"), window.get("to")))
        missing = sorted(set(range(shown[0], shown[-1] + 1)) - set(shown)) if shown else []
        problems += [f"{group} v{version} entry {seq} is missing from the pack" for seq in missing]
    anchor = _anchor(pack.get("anchor"), problems)
    proofs = 0
    for chain in pack["chains"]:
        key = (str(chain.get("model_group")), int(chain.get("model_version", 0)))
        name = f"{key[0]} v{key[1]}"
        if not chain.get("verified"):
            problems.append(f"{name}: the pack says its chain is broken ({chain.get('reason')})")
        head = by_version.get(key, {}).get(int(chain.get("head_seq", 0)))
        if head is not None and head.hash != chain.get("head_hash"):
            problems.append(f"{name}: entry {head.seq} is not the chain head the pack names")
        proof = chain.get("anchor_proof")
        if proof is None or anchor is None:
            continue
        proofs += 1
        problems.extend(_check_proof(name, proof, anchor, chain, by_version.get(key, {})))
    checked = {"entries": sum(len(e) for e in by_version.values()), "chains": len(pack["chains"]), "proofs": proofs}
    return problems, checked


def _anchor(raw: Any, problems: list[str]) -> Anchor | None:
    if raw is None:
        return None
    try:
        anchor = Anchor.from_json(raw)
    except (KeyError, TypeError, ValueError) as exc:
        problems.append(f"the pack's anchor is not one govsync writes ({exc})")
        return None
    if anchor.compute_hash() != anchor.hash:
        problems.append(f"anchor {anchor.seq} in the pack was altered (its hash does not match its contents)")
    return anchor


def _check_proof(
    name: str, proof: dict[str, Any], anchor: Anchor, chain: dict[str, Any], entries: dict[int, AuditEntry]
) -> list[str]:
    try:
        leaf = Leaf.from_json(proof["leaf"])
        path = [(str(sibling), str(side)) for sibling, side in proof["path"]]
    except (KeyError, TypeError, ValueError):
        return [f"{name}: its anchor proof is not one govsync writes"]
    problems = []
    if int(proof.get("anchor", -1)) != anchor.seq:
        problems.append(f"{name}: its proof is to anchor {proof.get('anchor')}, the pack carries anchor {anchor.seq}")
    if (leaf.model_group, leaf.model_version) != (chain.get("model_group"), chain.get("model_version")):
        problems.append(f"{name}: its proof is for {leaf.model_group} v{leaf.model_version}")
    if root_from_proof(leaf.digest(), path) != anchor.root:
        problems.append(f"{name}: its proof does not lead to anchor {anchor.seq}'s root")
    sealed = entries.get(leaf.seq)
    if sealed is not None and sealed.hash != leaf.head:
        problems.append(f"{name}: entry {leaf.seq} is not the entry anchor {anchor.seq} sealed")
    if leaf.seq > int(chain.get("head_seq", 0)):
        problems.append(f"{name}: anchor {anchor.seq} sealed entry {leaf.seq}, after the chain head")
    elif leaf.seq == int(chain.get("head_seq", 0)) and leaf.head != chain.get("head_hash"):
        problems.append(f"{name}: the chain head is not the one anchor {anchor.seq} sealed")
    return problems
