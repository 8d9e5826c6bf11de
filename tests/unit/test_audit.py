"""The audit chain: appended entries verify; edits, deletions and reorders are caught."""

from dataclasses import replace

from govsync.domain.audit import GENESIS, new_entry, verify_chain


def chain(n: int):
    entries, prev = [], GENESIS
    for seq in range(1, n + 1):
        entry = new_entry(
            group="g",
            version=1,
            seq=seq,
            prev_hash=prev,
            event_id=f"e{seq}",
            actor="alice",
            action="registry-sync",
            changes={"development": {"model_status": [None, "pending"]}},
            source_time=f"2026-11-23T10:0{seq}:00+00:00",
            recorded_at="2026-11-23T10:10:00+00:00",
        )
        entries.append(entry)
        prev = entry.hash
    return entries


def test_intact_chain_verifies():
    entries = chain(4)
    verdict = verify_chain(entries, head_seq=4, head_hash=entries[-1].hash)
    assert verdict.ok and verdict.checked == 4


def test_edited_entry_is_named():
    entries = chain(4)
    entries[1] = replace(entries[1], actor="mallory")
    verdict = verify_chain(entries, 4, entries[-1].hash)
    assert not verdict.ok and verdict.broken_seq == 2 and "edited" in verdict.reason


def test_edited_and_rehashed_entry_breaks_the_link():
    entries = chain(4)
    entries[1] = replace(entries[1], actor="mallory").sealed()
    verdict = verify_chain(entries, 4, entries[-1].hash)
    assert not verdict.ok and verdict.broken_seq == 3


def test_deleted_entry_is_named():
    entries = chain(4)
    del entries[2]
    verdict = verify_chain(entries, 4, entries[-1].hash)
    assert not verdict.ok and verdict.broken_seq == 3 and "missing" in verdict.reason


def test_deleted_last_entry_is_caught_by_the_head():
    entries = chain(4)
    verdict = verify_chain(entries[:3], 4, entries[-1].hash)
    assert not verdict.ok and verdict.broken_seq == 4


def test_reordered_entries_are_caught():
    entries = chain(3)
    swapped = [replace(entries[0], seq=2), replace(entries[1], seq=1), entries[2]]
    verdict = verify_chain(swapped, 3, entries[-1].hash)
    assert not verdict.ok and verdict.broken_seq == 1
