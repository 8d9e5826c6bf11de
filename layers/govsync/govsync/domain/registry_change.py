"""What a registry change means for a version's records: whether the table already holds it, and the
records it leads to (the stage records rebuilt from the package, the promotions and rollbacks it
opens, and the person a decision made through govsync names)."""

from __future__ import annotations

from enum import StrEnum

from govsync.domain.attribution import attribute
from govsync.domain.governance import Governance
from govsync.domain.lineage import Lineage
from govsync.domain.package import PackageSnapshot
from govsync.domain.promotion import Planning, plan_promotions
from govsync.domain.records import Artifacts, Records, build_stage_records, merge_records
from govsync.domain.retirement import archived, retire_archived
from govsync.domain.rollback import plan_rollbacks
from govsync.domain.version_state import VersionState


class Seen(StrEnum):
    """The table's knowledge of a registry change."""

    NEW = "new"  # not applied yet
    DUPLICATE = "duplicate"  # applied already
    STALE = "stale"  # a newer change is applied already
    LOST = "lost"  # applied, but its first record was lost since: written again


def seen_before(state: VersionState, pkg: PackageSnapshot, first_stage: str) -> Seen:
    """Whether the table (as `state` holds it) already applied the package's state: changes are ordered
    by source time, never by arrival."""
    if state.source_version is None or state.source_version < pkg.source_version:
        return Seen.NEW
    if state.source_version == pkg.source_version:
        return Seen.LOST if first_stage not in state.records else Seen.DUPLICATE
    return Seen.STALE


def records_after(
    before: Records,
    pkg: PackageSnapshot,
    governance: Governance,
    artifacts: Artifacts,
    plan: Planning,
    lineage: tuple[Lineage | None, tuple[str, ...]] = (None, ()),
) -> tuple[Records, str | None]:
    """The version's records once the package's state is applied to `before`, and the person who made
    the decision when it came through govsync (None: the registry's own actor). `lineage`: what the
    version's lineage says and the expected kinds it lacks."""
    implied = build_stage_records(pkg, governance, plan.config, artifacts, *lineage)
    if archived(pkg):  # every stage retired: like a rejection, always honoured (it puts nothing in service)
        merged = merge_records(before, implied)
        return retire_archived(merged, pkg, at=plan.now, event_id=plan.event_id, message_id=plan.message_id), None
    # who decided comes first: an approval that counts for nothing promotes nothing
    after, person = attribute(before, merge_records(before, implied), plan.pkg, plan.approvers, frozenset(implied))
    return plan_rollbacks(before, plan_promotions(before, after, plan), plan), person
