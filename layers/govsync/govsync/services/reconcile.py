"""Reconciler: the registry, listed, against the table. Every package whose record is missing (a
missed event, or a first install) or older than the registry is synced through the same code as the
event path (`RegistrySync.sync`). Daily on its schedule, and on demand (`govsync reconcile`).

A run is fanned out (`govsync.services.fanout`): one work item per model package group, each read a
page (100 packages) at a time with the table's version heads and first stage records for that page
(BatchGetItem); a group too big for one invocation goes on from the page it stopped at. Memory stays
flat in the number of versions. A version whose records were written before the use-case tallies
existed (its first stage record, read anyway, has no mark) is counted in them on the way (`counted`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from govsync.domain.arns import Arn
from govsync.domain.errors import GovsyncError
from govsync.domain.events import PackageRef
from govsync.domain.package import ListedPackage
from govsync.domain.runs import PartResult, WorkItem
from govsync.observability import MetricUnit, logger, metrics
from govsync.services.ports import Registry, Store, utc_now
from govsync.services.registry_sync import Outcome, RegistrySync
from govsync.settings import ReconcileSettings

COUNTS = ("groups", "checked", "up_to_date", "repaired", "failed", "skipped", "counted")


@dataclass
class Reconciler:
    settings: ReconcileSettings
    registry: Registry
    store: Store
    sync: RegistrySync
    clock: Callable[[], datetime] = utc_now
    job: str = "reconcile"

    def plan(self, groups: list[str] | None, planning: PartResult) -> Iterator[tuple[str, dict[str, Any]]]:
        """One item per model package group of the allowed regions (or only `groups`, by name)."""
        wanted = set(groups) if groups else None
        seen: set[str] = set()
        for region in sorted(self.settings.allowed_regions):
            for group in self.registry.list_groups(region):
                name = group.name
                if wanted is not None and name not in wanted:
                    continue
                seen.add(name)
                planning.counts["groups"] += 1
                yield f"{region}/{name}", {"region": region, "group_arn": group.arn, "group": name}
        for name in sorted((wanted or set()) - seen):
            planning.counts["not_found"] += 1
            planning.failures.append({"group": name, "error": "no such model package group"})

    def work(self, item: WorkItem, keep_going: Callable[[], bool]) -> PartResult:
        """One group, from the page `item.cursor` names; stops between pages once `keep_going()` is not."""
        piece, started = PartResult(), self.clock()
        region, group_arn = item.work["region"], item.work["group_arn"]
        try:
            for page, next_page in self.registry.list_packages(group_arn, region, start=item.cursor):
                self._page(page, region, piece, started, item.run_id)
                if next_page is not None and not keep_going():
                    piece.cursor = next_page
                    break
        except GovsyncError as exc:  # this group's listing or head reads; the other groups go on
            self._failed(piece, group_arn, exc)
        for name in ("checked", "repaired", "failed"):
            metrics.add_metric(name=f"Reconcile{name.title()}", unit=MetricUnit.Count, value=piece.counts[name])
        return piece

    def summary(self, run_id: str, total: PartResult) -> dict[str, Any]:
        return {
            "run_id": run_id,
            **{name: total.counts[name] for name in COUNTS},
            "failures": [f for f in total.failures if "arn" in f],
            "not_found": [f["group"] for f in total.failures if "group" in f],
        }

    def _page(self, page: list[ListedPackage], region: str, piece: PartResult, started: datetime, run_id: str) -> None:
        applied_versions = self.store.applied_versions(
            [(p.group, p.version) for p in page if p.version],
            self.settings.stages[0],
        )
        for package in page:
            arn = package.arn
            if Arn.parse(arn).account not in self.settings.allowed_accounts:
                piece.counts["skipped"] += 1
                continue
            piece.counts["checked"] += 1
            try:
                pkg = self.registry.describe_package(arn, region)
                applied = applied_versions.get((pkg.group, pkg.version))
                if applied is not None and not applied.counted:  # written before the use-case tallies
                    self._count(pkg.group, pkg.version, piece)
                if applied is not None and applied.source_version >= pkg.source_version:
                    piece.counts["up_to_date"] += 1
                    continue
                ref = PackageRef(event_id=run_id, event_time=started, account=pkg.account, region=region,
                                 group=pkg.group, version=pkg.version, arn=arn)  # fmt: skip
                outcome = self.sync.sync(ref, package=pkg, message_id=run_id)
            except GovsyncError as exc:
                self._failed(piece, arn, exc)
                continue
            if outcome is Outcome.UPSERTED:
                piece.counts["repaired"] += 1
                logger.info(
                    "record repaired", model_group=pkg.group, model_version=pkg.version, missing=applied is None
                )
            else:
                piece.counts["up_to_date"] += 1

    def _count(self, group: str, version: int, piece: PartResult) -> None:
        """Count the version's records written before the use-case tallies existed in them."""
        state = self.store.load_version(group, version)
        for stage in sorted(state.uncounted):
            piece.counts["counted"] += self.store.count_record(state.records[stage])

    @staticmethod
    def _failed(piece: PartResult, arn: str, exc: GovsyncError) -> None:
        piece.failed(arn, str(exc))
        logger.error("reconcile failed", arn=arn, error=str(exc))
